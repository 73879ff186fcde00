using PgBackup.Errors;
using PgBackup.Policies;
using PgBackup.Postgres;
using PgBackup.Repository;
using PgBackup.Repository.Storage;
using PgBackup.Wal;
using PgBackup.Repository.Catalog;

namespace PgBackup.Retention;

/// <summary>A complete backup and why retention keeps it (null: it expires).</summary>
public sealed record BackupDecision(BackupEntry Entry, string? KeptBecause)
{
    public BackupManifest Manifest => Entry.Manifest!;
}

/// <summary>A WAL object retention removes: a segment or partial (<see cref="Segment"/> set) or a timeline history file.</summary>
public sealed record ExpiredWal(ObjectInfo Object, uint Timeline, WalSegmentName? Segment, bool Partial);

/// <summary>
/// What `expire` removes, decided from what the repository holds and nothing else, so it can be
/// shown (--dry-run) and tested before a single object goes.
/// </summary>
/// <remarks>
/// Backups: keep the newest <c>full_count</c> and those started less than <c>max_age_days</c>
/// ago — with both rules set, whatever either keeps — and always the newest complete backup.
/// Ordered by recorded start time, never by id.
/// <para>
/// WAL: a kept backup needs every segment from its start LSN on its timeline forward, along every
/// timeline that branches off that line at or after its start (a restore may target any of them).
/// A WAL object goes only when no kept backup needs it AND it lies wholly before the lowest start
/// LSN of the kept backups — so WAL after the oldest kept backup's start is never removed, even
/// on a branch nothing reaches. A timeline whose history file is missing cannot be placed, so its
/// WAL stays. A history file goes only with the last of its WAL, when no needed timeline descends from it.
/// </para>
/// </remarks>
public sealed record RetentionPlan(
    IReadOnlyList<BackupDecision> Backups,
    IReadOnlyList<BackupEntry> Debris,
    IReadOnlyList<ExpiredWal> Wal,
    IReadOnlyList<uint> TimelinesWithoutHistory)
{
    /// <summary>Leftovers of a dead backup are removed only this long after their last write: a slow writer on another host gets the benefit of the doubt.</summary>
    public static readonly TimeSpan DebrisGrace = TimeSpan.FromHours(1);

    public IEnumerable<BackupDecision> Kept => Backups.Where(b => b.KeptBecause is not null);

    public IEnumerable<BackupDecision> Expired => Backups.Where(b => b.KeptBecause is null);

    public long BytesFreed => Expired.Sum(b => b.Entry.StoredBytes) + Debris.Sum(d => d.StoredBytes) + Wal.Sum(w => w.Object.Size);

    /// <param name="backups">Every backup folder (<see cref="BackupCatalog.ListAsync"/>).</param>
    /// <param name="walObjects">Every object under the repository's wal/ prefix.</param>
    /// <param name="histories">The parsed history file of every timeline that has one archived.</param>
    public static RetentionPlan Compute(IReadOnlyList<BackupEntry> backups, IReadOnlyList<ObjectInfo> walObjects,
        IReadOnlyDictionary<uint, TimelineHistory> histories, RepositoryLayout layout, RetentionSettings rules, DateTimeOffset now)
    {
        if (rules.FullCount is null && rules.MaxAgeDays is null)
            throw new UsageException("the policy sets no retention; add retention.full_count and/or retention.max_age_days before running expire");
        var complete = backups.Where(e => e.Manifest is not null)
            .OrderBy(e => e.Manifest!.StartTime).ThenBy(e => e.Id, StringComparer.Ordinal).ToList();
        var decisions = complete.Select((e, i) => new BackupDecision(e, KeepReason(e.Manifest!, complete.Count - 1 - i, rules, now))).ToList();
        var debris = backups.Where(e => e.Status == BackupStatus.Dead && now - e.LastModified > DebrisGrace).ToList();
        var kept = decisions.Where(d => d.KeptBecause is not null).Select(d => d.Manifest).ToList();
        if (kept.Count == 0)
            return new RetentionPlan(decisions, debris, [], []);

        var wal = new WalNeeds(walObjects, histories, layout, kept[^1].WalSegmentSize);
        foreach (var backup in kept) wal.Keep(backup.Timeline, backup.StartLsn);
        var floor = kept.Select(b => b.StartLsn).Min();
        return new RetentionPlan(decisions, debris, wal.Expendable(floor), wal.TimelinesWithoutHistory);
    }

    private static string? KeepReason(BackupManifest backup, int fromNewest, RetentionSettings rules, DateTimeOffset now)
    {
        if (fromNewest == 0) return "the newest backup";
        if (rules.FullCount is { } n && fromNewest < n) return $"one of the newest {n}";
        if (rules.MaxAgeDays is { } days && now - backup.StartTime < TimeSpan.FromDays(days)) return $"younger than {days} days";
        return null;
    }
}
