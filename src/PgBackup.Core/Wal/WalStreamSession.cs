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
    private WalReceiver _receiver = null!;
    private Lsn _durable;
    private Lsn _partialReaches;
    private Lsn _sourceEnd;
    private DateTimeOffset _partialUploadedAt;
    private DateTimeOffset? _waitingSince;

    /// <param name="durableBefore">
    /// How far an earlier session of this process made <paramref name="start"/>'s segment durable as a
    /// .partial: the segment is streamed again from its start, but that partial is not replaced
    /// until this session has more than it holds.
    /// </param>
    public async Task<TimelineEndedMessage> RunAsync(ReplicationConnection connection, string slot, StreamStart start, Lsn durableBefore, CancellationToken ct)
    {
        _durable = _partialReaches = _sourceEnd = Lsn.Max(start.Lsn, durableBefore);
        // The first partial is due as soon as WAL beyond it arrives: a new session follows a member
        // change, when the newest WAL is the most exposed.
        _partialUploadedAt = DateTimeOffset.MinValue;
        log.LogInformation("Streaming timeline {Timeline} from {Start} on {Member} (slot {Slot})", start.Timeline, start.Lsn, connection.Settings.Endpoint, slot);
        _receiver = await WalReceiver.StartAsync(connection, slot, WalSegmentName.Containing(start.Timeline, start.Lsn, archived.SegmentSize), systemIdentifier, ct).ConfigureAwait(false);
        Report();
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
            if (_receiver.Position > _partialReaches)
                await UploadPartialAsync(grace.Token).ConfigureAwait(false);
            throw;
        }
        finally
        {
            await _receiver.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The next message, or null when the wait was cut short to upload a partial that fell due.
    /// The receiver leaves the segment still filling untouched while a read is pending, so its snapshot can be uploaded meanwhile.
    /// </summary>
    private async ValueTask<ReplicationMessage?> NextMessageAsync(CancellationToken ct)
    {
        var message = await _receiver.ReadAsync(PartialDue(), ct).ConfigureAwait(false);
        if (message is null && PartialDue() == TimeSpan.Zero)
            await UploadPartialAsync(ct).ConfigureAwait(false);
        return message;
    }

    /// <summary>How long until the segment still filling is due as a partial; infinite while the last partial holds all of it.</summary>
    private TimeSpan PartialDue()
    {
        if (_receiver.Position <= _partialReaches)
            return Timeout.InfiniteTimeSpan;
        var due = _partialUploadedAt + partialInterval - DateTimeOffset.UtcNow;
        return due > TimeSpan.Zero ? due : TimeSpan.Zero;
    }

    private async Task AppendAsync(XLogDataMessage data, CancellationToken ct)
    {
        _sourceEnd = Lsn.Max(_sourceEnd, Lsn.Max(data.WalEnd, data.DataEnd));
        if (data.Data.IsEmpty)
            return;
        _waitingSince ??= DateTimeOffset.UtcNow;
        await _receiver.AppendAsync(data, (segment, bytes) => new ValueTask(PushSegmentAsync(segment, bytes, ct))).ConfigureAwait(false);
        Report();
    }

    private async Task PushSegmentAsync(WalSegmentName segment, Stream content, CancellationToken ct)
    {
        var result = await repository.Wal.PushSegmentAsync(segment.Timeline, segment.FileName, content, ct).ConfigureAwait(false);
        log.LogDebug("Segment {Segment}: {Result}", segment, result);
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
        var segment = _receiver.Current;
        var reaches = _receiver.Position;
        using (var content = _receiver.OpenSnapshot())
            await repository.Wal.PutPartialAsync(segment.Timeline, segment.FileName, content, ct).ConfigureAwait(false);
        archived.AddPartial(segment, DateTimeOffset.UtcNow);
        _partialReaches = reaches;
        _partialUploadedAt = DateTimeOffset.UtcNow;
        await MarkDurableAsync(reaches, ct).ConfigureAwait(false);
    }

    private async Task<TimelineEndedMessage> EndTimelineAsync(TimelineEndedMessage ended, CancellationToken ct)
    {
        var timeline = _receiver.Current.Timeline;
        if (_receiver.Position < ended.SwitchLsn)
            throw new OperationFailedException($"the source ended timeline {timeline} at {ended.SwitchLsn} but sent WAL only up to {_receiver.Position}: reconnecting to fetch the rest");
        if (_receiver.HasData)
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
        if (_durable >= _receiver.Position)
            _waitingSince = null; // otherwise the oldest waiting byte may be older than this: keep the earlier time (lag errs high)
        // The slot may now release WAL before this point: it is in the repository.
        await _receiver.SendStatusAsync(_durable, _durable, ct).ConfigureAwait(false);
        Report();
    }

    private void Report()
    {
        var now = DateTimeOffset.UtcNow;
        var durable = _durable;
        var timeline = _receiver.Current.Timeline;
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
