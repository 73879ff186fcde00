using Microsoft.Extensions.Logging;
using PgBackup.Cluster;
using PgBackup.Errors;
using PgBackup.Policies;
using PgBackup.Postgres;
using PgBackup.Repository;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Catalog;

namespace PgBackup.Wal;

/// <summary>
/// `pgbackup check`: is every segment recovery needs there, from the oldest backup's start (or
/// the oldest archived segment) along the newest timeline's history to the newest archived
/// segment; are the history files there; how far behind is the archive; does any slot of ours
/// hold WAL back on a member. Every finding that breaks PITR is a problem, named exactly.
/// </summary>
public sealed class WalArchiveCheck(Policy policy, BackupRepository repository, ILogger log)
{
    public async Task<WalCheckReport> RunAsync(TimeSpan maxLag, CancellationToken ct)
    {
        var problems = new List<WalProblem>();
        var segmentSize = await ArchivedSegmentSizeAsync(ct).ConfigureAwait(false);
        var archived = await ArchivedWal.LoadAsync(repository, segmentSize ?? WalSegmentSize.Default, ct).ConfigureAwait(false);
        if (segmentSize is null)
            problems.Add(new(WalProblemKind.MissingWal, $"no WAL segment is archived in {repository.Describe}: start `pgbackup archive` or set archive_command to `pgbackup wal-push`"));

        var history = await NewestHistoryAsync(archived, problems, ct).ConfigureAwait(false);
        var backup = (await BackupCatalog.ListCompleteAsync(repository, ct).ConfigureAwait(false)).FirstOrDefault();
        var (fromTimeline, from, fromWhat) = backup is not null
            ? (backup.Timeline, backup.StartLsn, $"start of the oldest backup {backup.Id}")
            : OldestSegmentOnPath(archived, history) is { } oldest
                ? (oldest.Timeline, oldest.StartLsn, $"oldest archived segment {oldest} (no backup yet)")
                : (0u, Lsn.Invalid, "nothing archived");
        var archivedTo = ResumePosition.NewestArchived(archived, history);

        IReadOnlyList<WalGap> gaps = [];
        if (fromTimeline != 0 && !history.Contains(fromTimeline))
            problems.Add(new(WalProblemKind.MissingHistory, $"the {fromWhat} is on timeline {fromTimeline}, which is not on the history of timeline {history.Timeline}: that backup cannot be recovered along the archived timelines"));
        else if (fromTimeline != 0 && archivedTo is { } to)
        {
            gaps = WalContinuity.FindGaps(archived, WalPath.From(history, fromTimeline, from, archived.SegmentSize), to);
            problems.AddRange(gaps.Select(g => new WalProblem(WalProblemKind.MissingWal, $"missing WAL on {g}: no backup before it can be restored past {g.From}; take a new backup (if a member still has the segments in pg_wal, `pgbackup wal-push` them)")));
        }
        else if (fromTimeline != 0)
            problems.Add(new(WalProblemKind.MissingWal, $"no segment is archived on the path from the {fromWhat} ({from} on timeline {fromTimeline})"));

        await CheckNewestWalAsync(archived, history, archivedTo, problems, ct).ConfigureAwait(false);
        var cluster = await InspectClusterAsync(archived, history, archivedTo, maxLag, problems, ct).ConfigureAwait(false);
        return new WalCheckReport(fromTimeline == 0 ? null : fromTimeline, from.IsValid ? from : null, fromWhat, history.Timeline, archivedTo,
            archived.Histories.Order().ToList(), gaps, cluster.LeaderLsn, cluster.LagBytes, cluster.LagSeconds, cluster.StreamingFrom,
            cluster.Slots, cluster.Stale, problems);
    }

    /// <summary>What repairs a missing history file: the archiver fetches the lineage from the cluster when it starts.</summary>
    private const string HistoryRepair = "start (or restart) `pgbackup archive`, which stores every history file of the cluster's timeline when it starts streaming, or push the file from a member's pg_wal with `pgbackup wal-push`";

    private sealed record ClusterFindings(string? LeaderLsn, long? LagBytes, double? LagSeconds, string? StreamingFrom, IReadOnlyList<MemberSlot> Slots, IReadOnlyList<MemberSlot> Stale);

    /// <summary>The segment size, read from an archived segment's own header; null when none is archived.</summary>
    private async Task<long?> ArchivedSegmentSizeAsync(CancellationToken ct)
    {
        await foreach (var o in repository.Store.ListAsync(repository.Layout.WalPrefix, ct).ConfigureAwait(false))
        {
            if (!repository.Layout.TryParseWalObject(o.Key, out var name) || name.Partial)
                continue;
            using var content = new MemoryStream();
            await repository.Wal.TryGetSegmentAsync(name.Timeline, name.Segment, content, ct).ConfigureAwait(false);
            return WalSegmentHeader.TryRead(content.GetBuffer().AsSpan(0, (int)content.Length))?.SegmentSize
                ?? throw new RepositoryException($"'{o.Key}' in {repository.Store.Describe} is not a WAL segment (no segment header): remove it or restore it from another copy");
        }
        return null;
    }

    /// <summary>The history of the newest timeline whose history file is archived; every newer timeline without one is a problem.</summary>
    private async Task<TimelineHistory> NewestHistoryAsync(ArchivedWal archived, List<WalProblem> problems, CancellationToken ct)
    {
        foreach (var timeline in archived.Timelines.Where(t => t > 1).OrderDescending())
        {
            if (await ArchivedHistory.LoadAsync(repository, timeline, ct).ConfigureAwait(false) is not { } history)
            {
                problems.Add(new(WalProblemKind.MissingHistory, $"the history file of timeline {timeline} ({WalFileName.HistoryFileName(timeline)}) is not archived, but WAL of that timeline is: recovery cannot follow it (the WAL itself is there); {HistoryRepair}"));
                continue;
            }
            foreach (var ancestor in history.Entries.Where(e => e.Timeline > 1 && !archived.HasHistory(e.Timeline)))
                problems.Add(new(WalProblemKind.MissingHistory, $"the history file of timeline {ancestor.Timeline} ({WalFileName.HistoryFileName(ancestor.Timeline)}) is not archived; {HistoryRepair}"));
            return history;
        }
        return TimelineHistory.ForFirstTimeline;
    }

    /// <summary>
    /// Reads the archive's newest WAL record by record — the last complete segment on the newest
    /// timeline's path and the partial segment after it — because that is where every restore to
    /// the latest point ends: damage there costs exactly the data the archive exists to keep.
    /// </summary>
    private async Task CheckNewestWalAsync(ArchivedWal archived, TimelineHistory history, Lsn? archivedTo, List<WalProblem> problems, CancellationToken ct)
    {
        if (archivedTo is not { } to || to.Value == 0)
            return;
        var number = (to.Value - 1) / (ulong)archived.SegmentSize;
        if (WalPath.Whole(history, archived.SegmentSize).RangeReading(number) is not { } range)
            return;
        var segment = archived.Segment(range.Timeline, number);
        var reader = new WalRecordReader(archived.SegmentSize, segment.StartLsn, timelineProblem: history.PageMismatch);
        var key = repository.Layout.WalSegment(segment.Timeline, segment.FileName);
        try
        {
            await using var records = new WalRecordReaderStream(reader);
            await repository.Store.GetDecodedAsync(key, repository.Codec, records, ct).ConfigureAwait(false);
            var next = segment.Next();
            if (range.SwitchPoint is null && archived.Partials(next.Timeline).Contains(next.SegmentNumber))
            {
                key = repository.Layout.WalPartial(next.Timeline, next.FileName);
                await repository.Store.GetDecodedAsync(key, repository.Codec, records, ct).ConfigureAwait(false);
            }
        }
        catch (WalFormatException e)
        {
            problems.Add(new(WalProblemKind.DamagedWal, $"'{key}' holds WAL whose records do not check out ({e.Message}): a restore to the latest point stops before it; `pgbackup verify --all` names every damaged object"));
        }
        catch (RepositoryException e)
        {
            problems.Add(new(WalProblemKind.DamagedWal, $"the newest archived WAL is unreadable: {e.Message}"));
        }
    }

    private static WalSegmentName? OldestSegmentOnPath(ArchivedWal archived, TimelineHistory history)
    {
        foreach (var range in WalPath.Whole(history, archived.SegmentSize).Ranges)
            if (archived.Segments(range.Timeline, range.First, range.Until == ulong.MaxValue ? ulong.MaxValue : range.Until - 1).Select(n => (ulong?)n).FirstOrDefault() is { } first)
                return archived.Segment(range.Timeline, first);
        return null;
    }

    /// <summary>Lag against the leader and our slots on every member; an unreachable cluster is a problem, not a crash.</summary>
    private async Task<ClusterFindings> InspectClusterAsync(ArchivedWal archived, TimelineHistory history, Lsn? archivedTo, TimeSpan maxLag, List<WalProblem> problems, CancellationToken ct)
    {
        SourceDecision decision;
        try
        {
            decision = await new SourceSelector(policy, log).DecideAsync(new HashSet<string>(), probeEveryone: true, ct).ConfigureAwait(false);
        }
        catch (SourceUnavailableException e)
        {
            problems.Add(new(WalProblemKind.ClusterUnreachable, $"cannot inspect the cluster, so archiver lag and slots are unchecked: {e.Message}"));
            return new ClusterFindings(null, null, null, null, [], []);
        }

        var leader = decision.Members.FirstOrDefault(m => m.Member.IsLeader && m.Probe is { InRecovery: false });
        if (leader?.Member.Timeline is { } leaderTimeline && leaderTimeline > history.Timeline && !archived.HasHistory((uint)leaderTimeline))
            problems.Add(new(WalProblemKind.MissingHistory, $"the cluster is on timeline {leaderTimeline}, but its history file is not archived yet; {HistoryRepair}"));

        var slots = new List<MemberSlot>();
        foreach (var m in decision.Members.Where(m => m.Member is { IsRunning: true, Host: not null, Port: not null }))
        {
            try
            {
                slots.AddRange(await new MemberSlots(policy).ListAsync(m.Member, ct).ConfigureAwait(false));
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException && !ct.IsCancellationRequested)
            {
                problems.Add(new(WalProblemKind.ClusterUnreachable, $"cannot list replication slots on {m.Member.Name}: {e.Message}"));
            }
        }
        var streaming = slots.FirstOrDefault(s => s.Active && s.Slot == policy.Archive.SlotName && s.FlushLsn is not null);
        var stale = slots.Where(s => !s.Active).ToList();
        problems.AddRange(stale.Select(s => new WalProblem(WalProblemKind.StaleSlot,
            $"stale slot \"{s.Slot}\" on {s.Member} (inactive, holds WAL from {s.RestartLsn ?? "nothing"}, wal_status {s.WalStatus ?? "?"}): drop it with SELECT pg_drop_replication_slot('{s.Slot}') there unless an archiver is about to use it")));

        var leaderLsn = leader?.Probe?.CurrentLsn;
        long? lagBytes = null;
        double? lagSeconds = null;
        if (leaderLsn is not null && Lsn.TryParse(leaderLsn, out var now))
        {
            var reached = streaming?.FlushLsn is { } f && Lsn.TryParse(f, out var flushed) ? flushed : StoppedArchiverReached(slots, archivedTo);
            lagBytes = Math.Max(0, now - reached);
            lagSeconds = streaming is not null ? streaming.FlushLagSeconds ?? 0
                : lagBytes > 0 && archived.NewestWrite is { } newest ? Math.Max(0, (DateTimeOffset.UtcNow - newest).TotalSeconds) : 0;
            if (lagSeconds > maxLag.TotalSeconds)
                problems.Add(new(WalProblemKind.Lag, $"the archive is {lagSeconds:0} s behind the leader ({lagBytes} bytes, leader at {leaderLsn}, archived to {reached}); limit {maxLag.TotalSeconds:0} s: "
                    + (streaming is null ? "no archiver is streaming; start `pgbackup archive`" : $"the archiver on {streaming.Member} is falling behind")));
        }
        return new ClusterFindings(leaderLsn, lagBytes, lagSeconds, streaming?.Member, slots, stale);
    }

    /// <summary>
    /// How far a stopped archiver got: our slot advances only to what is durable in the repository
    /// (partials included), so its restart LSN is a sound lower bound beyond the complete segments.
    /// </summary>
    private Lsn StoppedArchiverReached(IEnumerable<MemberSlot> slots, Lsn? archivedTo)
    {
        var reached = archivedTo ?? Lsn.Invalid;
        foreach (var s in slots)
            if (s.Slot == policy.Archive.SlotName && s.RestartLsn is { } r && Lsn.TryParse(r, out var lsn))
                reached = Lsn.Max(reached, lsn);
        return reached;
    }
}
