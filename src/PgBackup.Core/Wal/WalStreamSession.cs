using Microsoft.Extensions.Logging;
using PgBackup.Errors;
using PgBackup.Postgres;
using PgBackup.Postgres.Replication;
using PgBackup.Repository;
using PgBackup.Repository.Storage;

namespace PgBackup.Wal;

/// <summary>
/// One START_REPLICATION on one member, until its timeline ends (returned) or something fails
/// (thrown). Complete segments go to the repository as they fill; the segment still filling goes
/// up as a .partial every partial interval while WAL moves. The slot advances only to what is
/// durable, so a crash at any moment resumes without losing WAL.
/// </summary>
internal sealed class WalStreamSession(
    BackupRepository repository,
    ArchivedWal archived,
    string systemIdentifier,
    TimeSpan partialInterval,
    Action<Func<WalArchiverStatus, WalArchiverStatus>> report,
    ILogger log)
{
    private WalSegmentAssembler _assembler = null!;
    private ReplicationStream _stream = null!;
    private Lsn _durable;
    private Lsn _partialReaches;
    private Lsn _sourceEnd;
    private DateTimeOffset _partialUploadedAt;
    private DateTimeOffset? _waitingSince;
    private Task<ReplicationMessage>? _pending;

    public async Task<TimelineEndedMessage> RunAsync(ReplicationConnection connection, string slot, StreamStart start, CancellationToken ct)
    {
        _assembler = new WalSegmentAssembler(WalSegmentName.Containing(start.Timeline, start.Lsn, archived.SegmentSize));
        _durable = _partialReaches = _sourceEnd = start.Lsn;
        _partialUploadedAt = DateTimeOffset.UtcNow;
        log.LogInformation("Streaming timeline {Timeline} from {Start} on {Member} (slot {Slot})", start.Timeline, start.Lsn, connection.Settings.Endpoint, slot);
        _stream = await connection.StartReplicationAsync(slot, start.Lsn, start.Timeline, ct).ConfigureAwait(false);
        try
        {
            while (true)
            {
                var message = await NextMessageAsync(ct).ConfigureAwait(false);
                if (message is null)
                    continue; // a partial upload was due while waiting
                if (message is TimelineEndedMessage ended)
                    return await EndTimelineAsync(ended, ct).ConfigureAwait(false);
                await AppendAsync((XLogDataMessage)message, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping: keep what arrived, within a short grace period, then let the connection close.
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            if (_assembler.Position > _partialReaches)
                await UploadPartialAsync(grace.Token).ConfigureAwait(false);
            throw;
        }
        finally
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
            // A read still in flight fails once the connection closes; nobody needs its outcome.
            _ = _pending?.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// The next message, or null when the wait was cut short to upload a partial that fell due.
    /// The assembler is untouched while a read is pending, so its snapshot can be uploaded meanwhile.
    /// </summary>
    private async ValueTask<ReplicationMessage?> NextMessageAsync(CancellationToken ct)
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
            var partialDue = _assembler.Position > _partialReaches
                ? _partialUploadedAt + partialInterval - DateTimeOffset.UtcNow
                : Timeout.InfiniteTimeSpan;
            if (partialDue != Timeout.InfiniteTimeSpan && partialDue <= TimeSpan.Zero)
            {
                await UploadPartialAsync(ct).ConfigureAwait(false);
                return null;
            }
            await Task.WhenAny(_pending, Task.Delay(partialDue, ct)).ConfigureAwait(false);
            if (!_pending.IsCompleted)
                return null;
        }
        var message = await _pending.ConfigureAwait(false);
        _pending = null;
        return message;
    }

    private async Task AppendAsync(XLogDataMessage data, CancellationToken ct)
    {
        _sourceEnd = Lsn.Max(_sourceEnd, Lsn.Max(data.WalEnd, data.DataEnd));
        if (data.Data.IsEmpty)
            return;
        _waitingSince ??= DateTimeOffset.UtcNow;
        await _assembler.AppendAsync(data.WalStart, data.Data, (segment, bytes) => new ValueTask(PushSegmentAsync(segment, bytes, ct))).ConfigureAwait(false);
        Report();
    }

    private async Task PushSegmentAsync(WalSegmentName segment, ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        if (WalSegmentHeader.Mismatch(bytes.Span, segment, systemIdentifier) is { } why)
            throw new OperationFailedException($"streamed WAL does not check out, refusing to archive it: {why}");
        using (var content = MemoryStreams.ReadOnly(bytes))
        {
            var result = await repository.Wal.PushSegmentAsync(segment.Timeline, segment.FileName, content, ct).ConfigureAwait(false);
            log.LogDebug("Segment {Segment}: {Result}", segment, result);
        }
        archived.AddSegment(segment, DateTimeOffset.UtcNow);
        if (archived.Partials(segment.Timeline).Contains(segment.SegmentNumber))
        {
            // The complete segment supersedes the partial PostgreSQL would never ask for now.
            await repository.Store.DeleteAsync(repository.Layout.WalPartial(segment.Timeline, segment.FileName), ct).ConfigureAwait(false);
            archived.RemovePartial(segment);
        }
        report(s => s with { SegmentsArchived = s.SegmentsArchived + 1 });
        await MarkDurableAsync(segment.EndLsn, ct).ConfigureAwait(false);
    }

    private async Task UploadPartialAsync(CancellationToken ct)
    {
        var segment = _assembler.Current;
        var reaches = _assembler.Position;
        using (var content = MemoryStreams.ReadOnly(_assembler.Snapshot))
            await repository.Wal.PutPartialAsync(segment.Timeline, segment.FileName, content, ct).ConfigureAwait(false);
        archived.AddPartial(segment, DateTimeOffset.UtcNow);
        _partialReaches = reaches;
        _partialUploadedAt = DateTimeOffset.UtcNow;
        await MarkDurableAsync(reaches, ct).ConfigureAwait(false);
    }

    private async Task<TimelineEndedMessage> EndTimelineAsync(TimelineEndedMessage ended, CancellationToken ct)
    {
        var timeline = _assembler.Current.Timeline;
        if (_assembler.Position < ended.SwitchLsn)
            throw new OperationFailedException($"the source ended timeline {timeline} at {ended.SwitchLsn} but sent WAL only up to {_assembler.Position}: reconnecting to fetch the rest");
        if (_assembler.HasData)
        {
            // PostgreSQL keeps the old timeline's last segment as .partial; so do we.
            await UploadPartialAsync(ct).ConfigureAwait(false);
        }
        archived.MarkEnded(timeline, ended.SwitchLsn);
        log.LogWarning("Timeline {Timeline} ended at {SwitchLsn}; the source continues on timeline {Next}", timeline, ended.SwitchLsn, ended.NextTimeline);
        return ended;
    }

    private async Task MarkDurableAsync(Lsn durable, CancellationToken ct)
    {
        if (durable <= _durable)
            return;
        _durable = durable;
        if (_durable >= _assembler.Position)
            _waitingSince = null; // otherwise the oldest waiting byte may be older than this: keep the earlier time (lag errs high)
        // The slot may now release WAL before this point: it is in the repository.
        await _stream.SendStandbyStatusAsync(_assembler.Position, _durable, _durable, replyRequested: false, ct).ConfigureAwait(false);
        Report();
    }

    private void Report()
    {
        var now = DateTimeOffset.UtcNow;
        var durable = _durable;
        var timeline = _assembler.Current.Timeline;
        var lagBytes = Math.Max(0, _sourceEnd - durable);
        var lagSeconds = _waitingSince is { } since ? (now - since).TotalSeconds : 0;
        report(s => s with
        {
            State = WalArchiverState.Streaming,
            Timeline = timeline,
            ArchivedLsn = durable,
            ArchivedAt = s.ArchivedLsn == durable ? s.ArchivedAt : now,
            SourceWalEnd = _sourceEnd,
            LagBytes = lagBytes,
            LagSeconds = lagSeconds,
        });
    }
}
