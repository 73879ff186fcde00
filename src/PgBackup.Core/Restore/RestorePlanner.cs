using System.Globalization;
using PgBackup.Errors;
using PgBackup.Postgres;
using PgBackup.Repository;
using PgBackup.Repository.Codecs;
using PgBackup.Wal;
using PgBackup.Repository.Catalog;

namespace PgBackup.Restore;

/// <summary>
/// Chooses how to reach a recovery target: the newest complete backup that ends before it, on the
/// history of the target timeline (by default the newest archived one, so a target after a
/// failover lands on the new timeline), with an unbroken chain of archived WAL from the backup's
/// end to the target. An impossible target is refused with the reason and the nearest possible one.
/// </summary>
public sealed class RestorePlanner(BackupRepository repository)
{
    public async Task<RestorePlan> PlanAsync(RecoveryTarget target, string? backupId, uint? timeline, CancellationToken ct)
    {
        var backups = await BackupCatalog.ListCompleteAsync(repository, ct).ConfigureAwait(false);
        if (backups.Count == 0)
            throw new UsageException($"no complete backup in {repository.Describe}; take one with `pgbackup backup`");
        var segmentSize = backups[^1].WalSegmentSize;
        var archived = await ArchivedWal.LoadAsync(repository, segmentSize, ct).ConfigureAwait(false);

        var targetTimeline = timeline ?? archived.Timelines.Concat(backups.Select(b => b.Timeline)).Max();
        var history = await ArchivedHistory.LoadAsync(repository, targetTimeline, backups, ct).ConfigureAwait(false)
            ?? throw (timeline is not null && !archived.Timelines.Contains(targetTimeline)
                ? new UsageException($"--timeline {targetTimeline} does not exist in the archive (timelines: {string.Join(", ", archived.Timelines.Concat(backups.Select(b => b.Timeline)).Distinct().Order())})")
                : new RepositoryException($"the history file of timeline {targetTimeline} is not archived, so recovery cannot follow it; run `pgbackup check` (or give --timeline with an older timeline)"));

        var onPath = backups.Where(b => history.IncludesWalUpTo(b.Timeline, b.EndLsn)).ToList();
        var backup = backupId is not null ? Named(backups, onPath, backupId, targetTimeline) : Newest(onPath, target, targetTimeline);
        CheckBackupPrecedesTarget(backup, target);

        var walFrom = backup.EndLsn;
        var archivedTo = ResumePosition.NewestArchived(archived, history);
        Lsn? walUntil = target.Kind switch
        {
            RecoveryTargetKind.Immediate => null,
            // An LSN past the complete segments can only lie in the archiver's newest partial segment
            // (the last seconds, as for --latest): complete segments up to there, the partial for the rest.
            // Asking for the target's own segment as complete would refuse WAL the archive holds.
            RecoveryTargetKind.Lsn => archivedTo is { } to && target.Lsn > to ? Lsn.Max(to, walFrom) : target.Lsn,
            _ => archivedTo is { } to && to > walFrom ? to : null,
        };
        var path = WalPath.From(history, backup.Timeline, walFrom, segmentSize);
        var partial = NewestPartial(archived, target, walFrom, walUntil, path);
        CheckTargetWithinArchive(target, archivedTo, partial, archived.NewestWrite, backup);

        long segments = 0;
        if (walUntil is { } until && until > walFrom)
        {
            var gaps = WalContinuity.FindGaps(archived, path, until);
            if (gaps.Count > 0)
                throw new RepositoryException($"WAL recovery needs to reach {target.Describe()} from backup {backup.Id} is missing: {gaps[0]}; the nearest reachable target is --lsn {gaps[0].From}, or restore a backup taken after the gap");
            segments = path.CountUntil(until);
        }
        // Chosen among headers: the plan carries the whole manifest, which the restore reads its files from.
        var whole = await BackupCatalog.ReadManifestAsync(repository, backup.Id, ct).ConfigureAwait(false);
        return new RestorePlan(whole, target, targetTimeline, path, walFrom, walUntil, segments, partial, archived.NewestWrite);
    }

    /// <summary>
    /// The partial segment that continues the complete ones on the newest timeline, when the target
    /// may lie beyond them (time, xid, name, latest, or an LSN past them): without it the last seconds would be lost.
    /// </summary>
    private static WalSegmentName? NewestPartial(ArchivedWal archived, RecoveryTarget target, Lsn walFrom, Lsn? walUntil, WalPath path)
    {
        if (target.Kind is RecoveryTargetKind.Immediate || (target.Kind is RecoveryTargetKind.Lsn && target.Lsn <= walUntil)
            || path.Ranges.Count == 0 || path.Ranges[^1].SwitchPoint is not null)
            return null;
        var newest = path.Ranges[^1].Timeline;
        var next = Lsn.Max(walUntil ?? walFrom, walFrom).Value / (ulong)archived.SegmentSize;
        return archived.Partials(newest).Contains(next) && !archived.HasSegment(newest, next)
            ? archived.Segment(newest, next)
            : null;
    }

    private static BackupManifest Named(IReadOnlyList<BackupManifest> backups, List<BackupManifest> onPath, string id, uint timeline)
    {
        var named = id == "latest" ? onPath.LastOrDefault() : backups.FirstOrDefault(b => b.Id == id);
        if (named is null)
            throw new UsageException(id == "latest" ? $"no backup lies on the history of timeline {timeline}" : $"no complete backup '{id}'; `pgbackup list` shows the ids");
        if (!onPath.Contains(named))
            throw new UsageException($"backup {named.Id} (timeline {named.Timeline}, ends at {named.EndLsn}) is not on the history of timeline {timeline}; choose a backup on that history or another --timeline");
        return named;
    }

    private static BackupManifest Newest(List<BackupManifest> onPath, RecoveryTarget target, uint timeline)
    {
        if (onPath.Count == 0)
            throw new UsageException($"no complete backup lies on the history of timeline {timeline}; give --timeline, or take a backup");
        var eligible = target.Kind switch
        {
            RecoveryTargetKind.Time => onPath.Where(b => b.EndTime <= target.Time).ToList(),
            RecoveryTargetKind.Lsn => onPath.Where(b => b.EndLsn <= target.Lsn).ToList(),
            _ => onPath,
        };
        return eligible.LastOrDefault() ?? throw BeforeOldest(onPath[0], target);
    }

    private static void CheckBackupPrecedesTarget(BackupManifest backup, RecoveryTarget target)
    {
        var tooLate = target.Kind switch
        {
            RecoveryTargetKind.Time => backup.EndTime > target.Time,
            RecoveryTargetKind.Lsn => backup.EndLsn > target.Lsn,
            _ => false,
        };
        if (tooLate) throw BeforeOldest(backup, target);
    }

    private static UsageException BeforeOldest(BackupManifest oldest, RecoveryTarget target)
    {
        // Rounded UP to the second: the end time truncated would lie before the end, and the
        // suggested target would be refused in turn.
        var end = oldest.EndTime.UtcDateTime;
        var nearest = end.AddTicks(-(end.Ticks % TimeSpan.TicksPerSecond));
        if (nearest < end) nearest = nearest.AddSeconds(1);
        return new($"{target.Describe()} is before the end of backup {oldest.Id} ({end.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture)}Z, LSN {oldest.EndLsn}), the oldest usable one; the nearest possible target is --time {nearest.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture)}Z or --lsn {oldest.EndLsn}");
    }

    private static void CheckTargetWithinArchive(RecoveryTarget target, Lsn? archivedTo, WalSegmentName? partial, DateTimeOffset? newestWrite, BackupManifest backup)
    {
        // How far the partial reaches is known only once it is read: its segment's end bounds it.
        var reachable = Lsn.Max(archivedTo ?? Lsn.Invalid, backup.EndLsn);
        if (partial is { } p) reachable = Lsn.Max(reachable, p.EndLsn);
        if (target.Kind == RecoveryTargetKind.Lsn && target.Lsn > reachable)
            throw new UsageException($"{target.Describe()} is beyond the end of the archive (complete WAL up to {archivedTo ?? backup.EndLsn}" +
                $"{(partial is { } q ? $", the archiver's partial segment {q.FileName} at most to {q.EndLsn}" : "")}); the nearest possible target is --lsn {archivedTo ?? backup.EndLsn} or --latest");
        if (target.Kind == RecoveryTargetKind.Time && target.Time > (newestWrite ?? backup.EndTime))
            throw new UsageException($"{target.Describe()} is after the newest archived WAL (written {(newestWrite ?? backup.EndTime).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}Z); the nearest possible target is --latest, or check that the archiver runs (`pgbackup check`)");
    }
}
