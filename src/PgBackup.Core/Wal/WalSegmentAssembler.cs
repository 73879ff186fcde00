using PgBackup.Errors;
using PgBackup.Postgres;

namespace PgBackup.Wal;

/// <summary>
/// Builds whole WAL segment files out of streamed WAL (XLogData payloads), as pg_receivewal does:
/// a segment is handed on once its last byte arrived and its header matches its name and the
/// system (<see cref="WalSegmentHeader"/>), so neither the archive nor a backup ever stores WAL that
/// belongs elsewhere; the one still filling can be read as a zero-padded snapshot, which is exactly
/// what PostgreSQL itself leaves in a .partial file. Streaming always starts at a segment boundary,
/// so every segment is written whole.
/// </summary>
public sealed class WalSegmentAssembler
{
    private readonly byte[] _buffer;
    private readonly string _systemIdentifier;
    private int _filled;

    /// <param name="systemIdentifier">The system the streamed WAL must come from (IDENTIFY_SYSTEM's systemid).</param>
    public WalSegmentAssembler(WalSegmentName first, string systemIdentifier)
    {
        Current = first;
        _systemIdentifier = systemIdentifier;
        _buffer = new byte[first.SegmentSize];
    }

    /// <summary>The segment being filled.</summary>
    public WalSegmentName Current { get; private set; }

    /// <summary>The next WAL byte expected: everything before it has been received.</summary>
    public Lsn Position => Current.StartLsn + (ulong)_filled;

    /// <summary>The segment still filling, zero-padded to full size: valid until the next append.</summary>
    public ReadOnlyMemory<byte> Snapshot => _buffer;

    public bool HasData => _filled > 0;

    /// <summary>
    /// Adds WAL bytes that start at <paramref name="walStart"/>. Bytes before <see cref="Position"/>
    /// (a resend after reconnecting) are skipped; a hole is an error, never silently zero-filled.
    /// </summary>
    /// <param name="onSegmentComplete">Called with each segment as it fills and checks out, before its buffer is reused.</param>
    /// <exception cref="OperationFailedException">A hole in the stream, or a complete segment that does not check out.</exception>
    public async ValueTask AppendAsync(Lsn walStart, ReadOnlyMemory<byte> data, Func<WalSegmentName, ReadOnlyMemory<byte>, ValueTask> onSegmentComplete)
    {
        if (walStart > Position)
            throw new OperationFailedException($"WAL stream skipped from {Position} to {walStart} on timeline {Current.Timeline}: refusing to archive a gap");
        var skip = Position - walStart;
        if (skip >= data.Length) return;
        data = data[(int)skip..];
        while (!data.IsEmpty)
        {
            var n = Math.Min(data.Length, _buffer.Length - _filled);
            data.Span[..n].CopyTo(_buffer.AsSpan(_filled));
            _filled += n;
            data = data[n..];
            if (_filled == _buffer.Length)
            {
                if (WalSegmentHeader.Mismatch(_buffer, Current, _systemIdentifier) is { } why)
                    throw new OperationFailedException($"streamed WAL does not check out, refusing to archive it: {why}");
                await onSegmentComplete(Current, _buffer).ConfigureAwait(false);
                Array.Clear(_buffer);
                _filled = 0;
                Current = Current.Next();
            }
        }
    }
}
