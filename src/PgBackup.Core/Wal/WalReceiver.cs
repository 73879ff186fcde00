using PgBackup.Postgres;
using PgBackup.Postgres.Replication;

namespace PgBackup.Wal;

/// <summary>
/// The receiving end of one START_REPLICATION, shared by the archiver (<see cref="WalStreamSession"/>)
/// and a backup's WAL collector so both store only WAL that checks out: it reads the stream, turns
/// XLogData into whole segments checked against their names and the system
/// (<see cref="WalSegmentAssembler"/>), and tells the server what its owner made durable. The owners
/// keep their policies — partial uploads, timeline following and resume; or stopping at a backup's
/// end LSN. Memory stays flat: one segment buffer.
/// </summary>
internal sealed class WalReceiver : IAsyncDisposable
{
    private readonly ReplicationStream _stream;
    private readonly WalSegmentAssembler _assembler;
    private Task<ReplicationMessage>? _pending;

    private WalReceiver(ReplicationStream stream, WalSegmentAssembler assembler)
    {
        _stream = stream;
        _assembler = assembler;
    }

    /// <summary>Streams <paramref name="first"/>'s timeline from the start of that segment, on <paramref name="slot"/>.</summary>
    /// <param name="systemIdentifier">The system every segment must come from.</param>
    public static async Task<WalReceiver> StartAsync(ReplicationConnection connection, string slot, WalSegmentName first, string systemIdentifier, CancellationToken ct)
    {
        var stream = await connection.StartReplicationAsync(slot, first.StartLsn, first.Timeline, ct).ConfigureAwait(false);
        return new WalReceiver(stream, new WalSegmentAssembler(first, systemIdentifier));
    }

    /// <summary>The segment being filled.</summary>
    public WalSegmentName Current => _assembler.Current;

    /// <summary>The next WAL byte expected: everything before it has been received.</summary>
    public Lsn Position => _assembler.Position;

    /// <summary>The segment still filling, zero-padded to full size: valid until the next append.</summary>
    public Stream OpenSnapshot() => _assembler.OpenSnapshot();

    public bool HasData => _assembler.HasData;

    /// <summary>
    /// The next message — XLogData (valid until the next read) or the end of the timeline — or null
    /// when <paramref name="wait"/> passed first (<see cref="Timeout.InfiniteTimeSpan"/>, or zero for
    /// only what has already arrived). A read cut short stays pending for the next call, and
    /// the segment still filling is untouched meanwhile, so its snapshot can be uploaded. A pending read
    /// keeps the token of the call that started it; after cancellation the next call throws.
    /// </summary>
    public async ValueTask<ReplicationMessage?> ReadAsync(TimeSpan wait, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (_pending is null)
        {
            var read = _stream.ReadAsync(ct);
            if (read.IsCompletedSuccessfully)
                return read.Result;
            _pending = read.AsTask();
        }
        if (!_pending.IsCompleted)
        {
            if (wait == TimeSpan.Zero)
                return null;
            // Cancelling ends the wait at once, even where the read itself would notice only with the next message.
            await Task.WhenAny(_pending, Task.Delay(wait, ct)).ConfigureAwait(false);
            if (!_pending.IsCompleted)
                return null;
        }
        try
        {
            return await _pending.ConfigureAwait(false);
        }
        finally
        {
            _pending = null;
        }
    }

    /// <summary>Adds the WAL of <paramref name="data"/>; each segment it completes is checked and handed on.</summary>
    /// <param name="onSegment">Called with each complete segment that checks out, before its buffer is reused.</param>
    public ValueTask AppendAsync(XLogDataMessage data, Func<WalSegmentName, Stream, ValueTask> onSegment) =>
        _assembler.AppendAsync(data.WalStart, data.Data, onSegment);

    /// <summary>Reports everything before <see cref="Position"/> received and <paramref name="flushed"/> durable: the slot may release WAL before it.</summary>
    public ValueTask SendStatusAsync(Lsn flushed, Lsn applied, CancellationToken ct) =>
        _stream.SendStandbyStatusAsync(Position, flushed, applied, replyRequested: false, ct);

    /// <summary>Closes the stream (and with it the connection, if the timeline has not ended).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        // A read still in flight fails once the connection closes; nobody needs its outcome.
        _ = _pending?.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        _assembler.Dispose();
    }
}
