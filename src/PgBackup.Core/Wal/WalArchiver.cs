using Microsoft.Extensions.Logging;
using PgBackup.Cluster;
using PgBackup.Errors;
using PgBackup.Policies;
using PgBackup.Postgres;
using PgBackup.Postgres.Replication;
using PgBackup.Repository;

namespace PgBackup.Wal;

/// <summary>
/// Continuous WAL archiving from the healthiest replica, across failovers (DESIGN.md):
/// choose a member, stream on our slot there from where the repository ends, and whenever the
/// member fails or its timeline changes, choose again and carry on from the last durable position.
/// With archive.source replica-preferred the leader is chosen while no replica qualifies (right
/// after a failover the replicas are still re-attaching, and that WAL would sit on the new leader
/// alone), and left as soon as one does. Runs until cancelled; every failure is logged, shown in
/// <see cref="Status"/>, and retried.
/// </summary>
public sealed class WalArchiver(Policy policy, BackupRepository repository, ILogger log)
{
    private const string ApplicationName = "pgbackup-archiver";
    // Short: every second of pause is WAL that is not yet safe (the slot keeps it on the source, so a
    // retry is cheap). At 30 s the archive caught up 34 s after a 10 s S3 outage ended (chaos.sh).
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);
    // How often, while on the leader only for want of a replica, the replicas are asked again: each
    // time costs a Patroni request and a probe or two, and nothing is lost meanwhile.
    private static readonly TimeSpan LeaderRecheck = TimeSpan.FromSeconds(2);
    // How often a replica source is probed: after a failover it keeps its connection to us, idle,
    // for as long as it takes to follow the new leader (8 s measured), while the new WAL is elsewhere.
    // One SQL probe a second; within the RPO the archiver promises (2 s).
    private static readonly TimeSpan ReplicaRecheck = TimeSpan.FromSeconds(1);

    private readonly SourceSelector _selector = new(policy with { Source = policy.Archive.SourceRules(policy.Source) }, log);
    private readonly object _statusLock = new();
    private WalArchiverStatus _status = WalArchiverStatus.Initial;
    private ArchivedWal? _archived;
    private string? _systemIdentifier;
    private Lsn _floor = Lsn.Invalid;
    private (string? Member, Task Done) _slotDrop = (null, Task.CompletedTask);

    /// <summary>The latest status; safe to read from any thread.</summary>
    public WalArchiverStatus Status => Volatile.Read(ref _status);

    public string SlotName => policy.Archive.SlotName;

    /// <summary>Archives until <paramref name="ct"/> is cancelled, then returns (never throws for that).</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        ClusterMember? current = null;
        var exclude = new HashSet<string>(StringComparer.Ordinal);
        var backoff = TimeSpan.FromSeconds(1);
        while (!ct.IsCancellationRequested)
        {
            ClusterMember? member = null;
            try
            {
                Report(s => s with { State = WalArchiverState.Reconnecting });
                var (chosen, decision) = await _selector.ChooseAsync(exclude, ct).ConfigureAwait(false);
                member = chosen;
                if (current is not null && current.Name != member.Name)
                    await LeaveAsync(current).ConfigureAwait(false);
                if (_slotDrop.Member == member.Name)
                    await _slotDrop.Done.ConfigureAwait(false); // coming back before our slot there is gone
                current = member;
                Report(s => s with { SourceMember = chosen.Name, SourceReason = decision.Chosen!.Verdict });
                log.LogInformation("Archiving from {Member}: {Why}", member.Name, decision.Chosen!.Verdict);
                await StreamFromAsync(member, ct).ConfigureAwait(false);
                // The member's timeline changed (it may have been promoted), or another member is the better source: choose again.
                exclude.Clear();
                backoff = TimeSpan.FromSeconds(1);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (PgBackupException e) when (e is UsageException or RepositoryMismatchException)
            {
                // Configuration, not a passing failure: retrying would only repeat it forever.
                throw;
            }
            catch (Exception e) when (e is PgBackupException or IOException)
            {
                log.LogError("WAL archiving from {Member} failed: {Error}; choosing a source again in {Delay} s",
                    member?.Name ?? "the cluster", e.Message, backoff.TotalSeconds);
                Report(s => s with { LastError = e.Message, LastErrorAt = DateTimeOffset.UtcNow });
                // Pass over the member that failed; when choosing itself failed, consider everyone again.
                if (member is null) exclude.Clear();
                else exclude.Add(member.Name);
                // No member qualifying is a failover in progress: ask again soon, the new leader is the source to take.
                try { await Task.Delay(member is null ? TimeSpan.FromSeconds(1) : backoff, ct).ConfigureAwait(false); }
                catch (OperationCanceledException) { break; }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
        try { await _slotDrop.Done.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        Report(s => s with { State = WalArchiverState.Stopped });
    }

    /// <summary>
    /// Drops our slot on the member we leave, in the background: a member that just died can take
    /// the whole connect timeout to refuse, and the new source must not wait for it.
    /// </summary>
    private async Task LeaveAsync(ClusterMember left)
    {
        await _slotDrop.Done.ConfigureAwait(false);
        _slotDrop = (left.Name, DropSlotAsync(left, CancellationToken.None));
    }

    /// <summary>
    /// Streams from one member until its timeline changes or another member is the better source
    /// (<see cref="WatchSourceAsync"/>) (returns), or until it fails (throws).
    /// </summary>
    private async Task StreamFromAsync(ClusterMember member, CancellationToken ct)
    {
        using var move = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var watch = policy.Archive.Source == ArchiveSource.Leader ? Task.CompletedTask : WatchSourceAsync(member, move);
        try
        {
            await StreamUntilTimelineChangesAsync(member, move.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (move.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            // A better source qualifies: the session stored what it had received, the next one resumes from there.
        }
        finally
        {
            await move.CancelAsync().ConfigureAwait(false);
            await watch.ConfigureAwait(false);
        }
    }

    private async Task StreamUntilTimelineChangesAsync(ClusterMember member, CancellationToken ct)
    {
        await using var connection = await ReplicationConnection.OpenAsync(
            policy.Replication(member.Host!, member.Port!.Value, ApplicationName), ct).ConfigureAwait(false);
        var system = await connection.IdentifySystemAsync(ct).ConfigureAwait(false);
        var archived = await OpenArchiveAsync(connection, system, ct).ConfigureAwait(false);
        var history = await StoreHistoryAsync(connection, system.Timeline, ct).ConfigureAwait(false);
        var slot = await AcquireSlotAsync(connection, ct).ConfigureAwait(false);

        while (true)
        {
            var start = ResumePosition.Compute(archived, history, slot.RestartLsn ?? Lsn.Invalid, _floor);
            var session = new WalStreamSession(repository, archived, _systemIdentifier!, policy.Archive.PartialInterval, Report, log);
            TimelineEndedMessage ended;
            try
            {
                ended = await session.RunAsync(connection, SlotName, start, DurableOn(start), ct).ConfigureAwait(false);
            }
            catch (OperationFailedException e) when (e.InnerException is PostgresServerError { SqlState: "58P01" })
            {
                // "requested WAL segment ... has already been removed": the WAL is gone from this member.
                slot = await RecordGapAsync(member, start, e, ct).ConfigureAwait(false);
                throw;
            }
            var next = await StoreHistoryAsync(connection, ended.NextTimeline, ct).ConfigureAwait(false);
            if (!next.Contains(start.Timeline) || next.SwitchPointOf(start.Timeline) != ended.SwitchLsn)
                throw new OperationFailedException($"{member.Name} ended timeline {start.Timeline} at {ended.SwitchLsn}, but the history file of timeline {ended.NextTimeline} disagrees: refusing to continue on an inconsistent history");
            if (ended.NextTimeline > system.Timeline)
                return; // the member itself switched timelines
            // Catching up through a historic timeline: carry on along the member's own history.
        }
    }

    /// <summary>What this process already made durable in the segment a session starts in (a partial), else nothing.</summary>
    private Lsn DurableOn(StreamStart start) =>
        Status is { Timeline: { } timeline, ArchivedLsn: { } durable } && timeline == start.Timeline && durable > start.Lsn
            && WalSegmentName.Containing(timeline, durable - 1, _archived!.SegmentSize) == WalSegmentName.Containing(timeline, start.Lsn, _archived.SegmentSize)
            ? durable
            : Lsn.Invalid;

    /// <summary>
    /// Ends the session when another member is the better source: on the leader (there only for
    /// want of a replica), once a replica qualifies; on a replica, once it stops qualifying itself
    /// (its WAL receiver lost the leader that failed) while another member does.
    /// </summary>
    private async Task WatchSourceAsync(ClusterMember source, CancellationTokenSource move)
    {
        var notTheSource = new HashSet<string>(StringComparer.Ordinal) { source.Name };
        try
        {
            while (true)
            {
                await Task.Delay(source.IsLeader ? LeaderRecheck : ReplicaRecheck, move.Token).ConfigureAwait(false);
                string why;
                SourceDecision decision;
                try
                {
                    if (source.IsLeader)
                        why = "a replica qualifies again";
                    else if (await _selector.RecheckAsync(source, move.Token).ConfigureAwait(false) is { } rejection)
                        why = $"{source.Name} no longer qualifies ({rejection})";
                    else
                        continue;
                    decision = await _selector.DecideAsync(notTheSource, probeEveryone: false, move.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is PgBackupException or IOException or HttpRequestException)
                {
                    log.LogDebug("Checking the archiver's source failed: {Error}", e.Message);
                    continue;
                }
                if (decision.Chosen is { } better && !(source.IsLeader && better.Member.IsLeader))
                {
                    log.LogInformation("Moving the archiver from {Source} to {Member}: {Why} ({Verdict})", source.Name, better.Member.Name, why, better.Verdict);
                    await move.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the session ended first
        }
    }

    /// <summary>Checks the repository belongs to this cluster and lists its WAL, once per run.</summary>
    private async Task<ArchivedWal> OpenArchiveAsync(ReplicationConnection connection, IdentifySystemResult system, CancellationToken ct)
    {
        if (_systemIdentifier is not null && _systemIdentifier != system.SystemId)
            throw new SourceUnavailableException($"{connection.Settings.Endpoint} is database system {system.SystemId}, not {_systemIdentifier} like the rest of cluster '{policy.Cluster}': check the Patroni URLs in the policy");
        if (_archived is not null)
            return _archived;
        await RepositoryDescriptor.OpenOrCreateAsync(repository.Store, repository.Layout, new RepositoryDescriptor
        {
            SystemIdentifier = system.SystemId,
            PgMajor = connection.ServerVersionNum / 10000,
            ChunkSize = RepositoryDescriptor.DefaultChunkSize,
            CreatedAt = DateTimeOffset.UtcNow,
            KeyCheck = repository.Codec.Key?.KeyCheck,
        }, ct).ConfigureAwait(false);
        var segmentSize = ServerSetting.ParseBytes(await connection.ShowAsync("wal_segment_size", ct).ConfigureAwait(false));
        _archived = await ArchivedWal.LoadAsync(repository, segmentSize, ct).ConfigureAwait(false);
        _systemIdentifier = system.SystemId;
        log.LogInformation("Repository {Repository} holds WAL of timelines {Timelines}", repository.Describe, string.Join(", ", _archived.Timelines));
        return _archived;
    }

    /// <summary>Stores the history files of <paramref name="timeline"/> and its ancestors that the repository lacks; returns its history.</summary>
    private async Task<TimelineHistory> StoreHistoryAsync(ReplicationConnection connection, uint timeline, CancellationToken ct)
    {
        if (timeline == 1)
            return TimelineHistory.ForFirstTimeline;
        var file = await connection.TimelineHistoryAsync(timeline, ct).ConfigureAwait(false);
        var history = TimelineHistory.Parse(timeline, file.Content);
        foreach (var ancestor in history.Entries.Select(e => e.Timeline).Where(t => t > 1 && !_archived!.HasHistory(t)))
            await PushHistoryAsync(ancestor, (await connection.TimelineHistoryAsync(ancestor, ct).ConfigureAwait(false)).Content, ct).ConfigureAwait(false);
        if (!_archived!.HasHistory(timeline))
            await PushHistoryAsync(timeline, file.Content, ct).ConfigureAwait(false);
        return history;
    }

    private async Task PushHistoryAsync(uint timeline, byte[] content, CancellationToken ct)
    {
        using var stream = new MemoryStream(content, writable: false);
        await repository.Wal.PushHistoryAsync(timeline, stream, ct).ConfigureAwait(false);
        _archived!.AddHistory(timeline, DateTimeOffset.UtcNow);
        log.LogInformation("Archived the history file of timeline {Timeline}", timeline);
    }

    /// <summary>Our slot on this member, created if missing; read back because CREATE reports 0/0 on a standby.</summary>
    private async Task<ReplicationSlotInfo> AcquireSlotAsync(ReplicationConnection connection, CancellationToken ct)
    {
        var slot = await connection.ReadReplicationSlotAsync(SlotName, ct).ConfigureAwait(false);
        if (slot is { RestartLsn: not null })
            return slot;
        if (slot is not null)
        {
            // It exists but reserves nothing: max_slot_wal_keep_size invalidated it. Start over with a fresh one.
            log.LogError("Slot {Slot} on {Member} lost its WAL (max_slot_wal_keep_size); recreating it", SlotName, connection.Settings.Endpoint);
            await connection.DropReplicationSlotAsync(SlotName, wait: false, ct).ConfigureAwait(false);
        }
        var created = await connection.CreatePhysicalSlotAsync(SlotName, reserveWal: true, ct).ConfigureAwait(false);
        log.LogInformation("Created slot {Slot} on {Member} at {RestartLsn}", SlotName, connection.Settings.Endpoint, created.RestartLsn);
        return created;
    }

    /// <summary>The WAL from <paramref name="start"/> is gone from the member: say so loudly, and continue from what it still has.</summary>
    private async Task<ReplicationSlotInfo> RecordGapAsync(ClusterMember member, StreamStart start, OperationFailedException e, CancellationToken ct)
    {
        await using var connection = await ReplicationConnection.OpenAsync(policy.Replication(member.Host!, member.Port!.Value, ApplicationName), ct).ConfigureAwait(false);
        var slot = await AcquireSlotAsync(connection, ct).ConfigureAwait(false);
        var available = slot.RestartLsn!.Value;
        if (available <= start.Lsn)
            return slot; // nothing to skip to: the failure is reported as it is, and retried
        var segmentSize = _archived!.SegmentSize;
        var gap = new WalGap(WalSegmentName.Containing(start.Timeline, start.Lsn, segmentSize),
            WalSegmentName.Containing(start.Timeline, available - 1, segmentSize));
        _floor = available;
        log.LogError("WAL GAP: {Gap} is gone from {Member} ({Reason}); archiving continues from {Available}. Backups older than the gap cannot be restored past it: take a new backup",
            gap, member.Name, e.Message, available);
        Report(s => s with { Gaps = [.. s.Gaps, gap] });
        return slot;
    }

    /// <summary>Drops our slot on a member we leave, so it does not hold WAL back; a member that is down is told by `check` later.</summary>
    private async Task DropSlotAsync(ClusterMember member, CancellationToken ct)
    {
        if (member.Host is null || member.Port is null)
            return;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await ReplicationConnection.OpenAsync(policy.Replication(member.Host, member.Port.Value, ApplicationName), ct).ConfigureAwait(false);
                await connection.DropReplicationSlotAsync(SlotName, wait: false, ct).ConfigureAwait(false);
                log.LogInformation("Dropped slot {Slot} on {Member}, which is no longer the source", SlotName, member.Name);
                return;
            }
            catch (PgBackupException e) when (e.InnerException is PostgresServerError { SqlState: "42704" })
            {
                return; // no such slot
            }
            catch (PgBackupException e) when (e.InnerException is PostgresServerError { SqlState: "55006" } && attempt < 5)
            {
                // Our previous walsender there has not noticed yet that we left.
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            }
            catch (PgBackupException e)
            {
                log.LogWarning("Could not drop slot {Slot} on {Member} ({Error}): it may hold WAL back there; `pgbackup check` lists it", SlotName, member.Name, e.Message);
                return;
            }
        }
    }

    private void Report(Func<WalArchiverStatus, WalArchiverStatus> change)
    {
        lock (_statusLock)
        {
            var next = change(_status);
            Volatile.Write(ref _status, next.State == WalArchiverState.Streaming ? next.Recovered() : next);
        }
    }
}
