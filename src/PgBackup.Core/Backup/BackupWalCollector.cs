using Microsoft.Extensions.Logging;
using PgBackup.Errors;
using PgBackup.Postgres;
using PgBackup.Postgres.Replication;
using PgBackup.Repository;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Storage;
using PgBackup.Wal;
using PgBackup.Repository.Catalog;

namespace PgBackup.Backup;

/// <summary>
/// Streams the WAL a backup needs — from the segment holding its start LSN to its end LSN — over a
/// second replication connection while the data is copied, as `pg_basebackup -X stream` does, through
/// the archiver's own <see cref="WalReceiver"/>, so every segment is checked the same way. The
/// last segment is stored zero-padded at its full name: recovery reads it up to the end LSN, and
/// waiting for the primary to finish that segment could take forever on an idle cluster. The first
/// segment is stored with its pages before the start LSN's zeroed, all but the first: no restore of the
/// backup reads them (recovery begins at the start LSN and checks only the segment's long header
/// besides), and after a busy day they are most of what an incremental would store.
/// </summary>
internal sealed class BackupWalCollector : IAsyncDisposable
{
    private readonly BackupRepository _repository;
    private readonly string _backupId;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<EncodedObject> _segments = [];
    private readonly WalReceiver _receiver;
    private readonly Lsn _start;
    private readonly Task _loop;
    private long _position;
    private long _end = long.MaxValue;

    private BackupWalCollector(WalReceiver receiver, Lsn start, BackupRepository repository, string backupId, ILogger log, CancellationToken ct)
    {
        _receiver = receiver;
        _start = start;
        _position = (long)receiver.Position.Value;
        _repository = repository;
        _backupId = backupId;
        _log = log;
        _loop = Task.Run(() => ReceiveAsync(ct), CancellationToken.None);
    }

    /// <param name="systemIdentifier">The source's system, which every streamed segment must come from.</param>
    public static async Task<BackupWalCollector> StartAsync(ReplicationConnection connection, string slot, Lsn start, uint timeline, long segmentSize,
        string systemIdentifier, BackupRepository repository, string backupId, ILogger log, CancellationToken ct)
    {
        var receiver = await WalReceiver.StartAsync(connection, slot, WalSegmentName.Containing(timeline, start, segmentSize), systemIdentifier, ct).ConfigureAwait(false);
        return new BackupWalCollector(receiver, start, repository, backupId, log, ct);
    }

    /// <summary>
    /// Waits until WAL up to <paramref name="end"/> has arrived, stores the last (partial)
    /// segment, and returns every segment stored for the backup.
    /// </summary>
    public async Task<IReadOnlyList<EncodedObject>> FinishAsync(Lsn end, TimeSpan timeout, CancellationToken ct)
    {
        Interlocked.Exchange(ref _end, (long)end.Value);
        var deadline = DateTime.UtcNow + timeout;
        while (!_loop.IsCompleted && Interlocked.Read(ref _position) < (long)end.Value)
        {
            if (DateTime.UtcNow > deadline)
                throw new OperationFailedException($"the source did not stream WAL up to the backup's end LSN {end} within {timeout.TotalSeconds:0}s (received up to {new Lsn((ulong)Interlocked.Read(ref _position))})");
            await Task.Delay(20, ct).ConfigureAwait(false);
        }
        // The loop may sit in a read that only more WAL would end: we have what we need, so stop it.
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        if (_receiver.HasData)
        {
            using var snapshot = _receiver.OpenSnapshot();
            await StoreAsync(_receiver.Current, snapshot, ct).ConfigureAwait(false);
        }
        return _segments;
    }

    /// <summary>
    /// Stops receiving, if a failure ended the backup before <see cref="FinishAsync"/>, and closes the
    /// stream and the receiver's spool file (an open descriptor otherwise, until the GC finds it).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        // Observed already by FinishAsync when it ran; otherwise the attempt is failing for its own reason.
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _receiver.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task ReceiveAsync(CancellationToken ct)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
        try
        {
            var lastStatus = DateTime.UtcNow;
            while (_receiver.Position.Value < (ulong)Interlocked.Read(ref _end))
            {
                var message = await _receiver.ReadAsync(Timeout.InfiniteTimeSpan, linked.Token).ConfigureAwait(false);
                if (message is TimelineEndedMessage ended)
                    throw new OperationFailedException($"the source switched to timeline {ended.NextTimeline} at {ended.SwitchLsn} during the backup (promoted or failed over); the backup is discarded");
                if (message is not XLogDataMessage data)
                    continue; // the wait ended by cancellation: the next read says so
                // Stores run under the caller's token only: once _stop fires, every completed segment is already stored.
                await _receiver.AppendAsync(data, (segment, bytes) => new ValueTask(StoreAsync(segment, bytes, ct))).ConfigureAwait(false);
                Interlocked.Exchange(ref _position, (long)_receiver.Position.Value);
                if (DateTime.UtcNow - lastStatus > TimeSpan.FromSeconds(5))
                {
                    // Lets the temporary slot advance, so a long backup does not pin WAL it already has.
                    await _receiver.SendStatusAsync(_receiver.Position, Lsn.Invalid, linked.Token).ConfigureAwait(false);
                    lastStatus = DateTime.UtcNow;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            // FinishAsync stopped us once everything needed had arrived.
        }
    }

    private async Task StoreAsync(WalSegmentName segment, Stream content, CancellationToken ct)
    {
        var key = _repository.Layout.BackupWal(_backupId, segment.FileName);
        // The assembler's buffer, not a copy, except the first segment's, whose pages before the start are zeroed.
        using var plain = segment.StartLsn <= _start && _start < segment.EndLsn ? new MemoryStream(await WithoutPagesBeforeAsync(_start, segment, content, ct).ConfigureAwait(false), writable: false) : null;
        _segments.Add(await BackupObjects.PutEncodedAsync(_repository, _backupId, key, plain ?? content, ct).ConfigureAwait(false));
        _log.LogDebug("Stored WAL segment {Segment} for backup {Backup}", segment.FileName, _backupId);
    }

    /// <summary>A copy of the segment with the pages between its first page and the one holding <paramref name="start"/> zeroed.</summary>
    internal static async Task<byte[]> WithoutPagesBeforeAsync(Lsn start, WalSegmentName segment, Stream content, CancellationToken ct)
    {
        var copy = new byte[content.Length];
        await content.ReadExactlyAsync(copy, ct).ConfigureAwait(false);
        var pageSize = (int)WalPageHeader.TryRead(copy)!.Value.PageSize; // the receiver checked the long header
        var startPage = (int)Math.Min((start.Value - segment.StartLsn.Value) / (ulong)pageSize * (ulong)pageSize, (ulong)copy.Length);
        if (startPage > pageSize) copy.AsSpan(pageSize, startPage - pageSize).Clear();
        return copy;
    }
}
