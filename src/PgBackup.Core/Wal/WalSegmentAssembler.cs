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
public sealed class WalSegmentAssembler : IDisposable
{
    private readonly WalSegmentBuffer _buffer;
    private readonly string _systemIdentifier;

    /// <param name="systemIdentifier">The system the streamed WAL must come from (IDENTIFY_SYSTEM's systemid).</param>
    public WalSegmentAssembler(WalSegmentName first, string systemIdentifier)
    {
        Current = first;
        _systemIdentifier = systemIdentifier;
        _buffer = new WalSegmentBuffer(first.SegmentSize);
    }

    /// <summary>The segment being filled.</summary>
    public WalSegmentName Current { get; private set; }

    /// <summary>The next WAL byte expected: everything before it has been received.</summary>
    public Lsn Position => Current.StartLsn + (ulong)_buffer.Filled;

    public bool HasData => _buffer.Filled > 0;

    /// <summary>The segment still filling, zero-padded to full size: valid until the next append.</summary>
    public Stream OpenSnapshot() => _buffer.OpenRead();

    /// <summary>
    /// Adds WAL bytes that start at <paramref name="walStart"/>. Bytes before <see cref="Position"/>
    /// (a resend after reconnecting) are skipped; a hole is an error, never silently zero-filled.
    /// </summary>
    /// <param name="onSegmentComplete">Called with each segment as it fills and checks out, its content readable until the call returns.</param>
    /// <exception cref="OperationFailedException">A hole in the stream, or a complete segment that does not check out.</exception>
    public async ValueTask AppendAsync(Lsn walStart, ReadOnlyMemory<byte> data, Func<WalSegmentName, Stream, ValueTask> onSegmentComplete)
    {
        if (walStart > Position)
            throw new OperationFailedException($"WAL stream skipped from {Position} to {walStart} on timeline {Current.Timeline}: refusing to archive a gap");
        var skip = Position - walStart;
        if (skip >= data.Length) return;
        data = data[(int)skip..];
        while (!data.IsEmpty)
        {
            data = data[_buffer.Append(data.Span)..];
            if (_buffer.IsFull)
            {
                if (WalSegmentHeader.Mismatch(_buffer.Start(WalSegmentHeader.Length), Current, _systemIdentifier) is { } why)
                    throw new OperationFailedException($"streamed WAL does not check out, refusing to archive it: {why}");
                using (var content = _buffer.OpenRead())
                    await onSegmentComplete(Current, content).ConfigureAwait(false);
                _buffer.Reset();
                Current = Current.Next();
            }
        }
    }

    public void Dispose() => _buffer.Dispose();
}
