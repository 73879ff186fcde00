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
/// Backups: keep the newest <c>full_count</c> full backups with the diffs and incrs built on them,
/// and those started less than <c>max_age_days</c> ago — with both rules set, whatever either keeps
/// — and always the newest complete backup; then every backup a kept or running one reads blocks
/// of. Ordered by recorded start time, never by id.
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
        var decisions = KeepChains(complete, backups, rules, now);
        var debris = backups.Where(e => e.Status == BackupStatus.Dead && now - e.LastModified > DebrisGrace).ToList();
        var kept = decisions.Where(d => d.KeptBecause is not null).Select(d => d.Manifest).ToList();
        if (kept.Count == 0)
            return new RetentionPlan(decisions, debris, [], []);

        var wal = new WalNeeds(walObjects, histories, layout, kept[^1].WalSegmentSize);
        foreach (var backup in kept) wal.Keep(backup.Timeline, backup.StartLsn);
        var floor = kept.Select(b => b.StartLsn).Min();
        return new RetentionPlan(decisions, debris, wal.Expendable(floor), wal.TimelinesWithoutHistory);
    }

    /// <summary>
    /// The rules first (full_count counts full backups; a diff or incr goes with the full its chain
    /// starts from), then the chains: a kept backup keeps every backup whose packs it reads, and a
    /// running incremental (its lease) keeps those it builds on — a kept backup always restores.
    /// </summary>
    private static List<BackupDecision> KeepChains(List<BackupEntry> complete, IReadOnlyList<BackupEntry> all, RetentionSettings rules, DateTimeOffset now)
    {
        var fulls = complete.Where(e => e.Manifest!.Type == BackupType.Full).Select(e => e.Id).ToList();
        var byId = BackupChain.ById(complete.Select(e => e.Manifest!));
        var reasons = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < complete.Count; i++)
            if (KeepReason(complete[i].Manifest!, complete.Count - 1 - i, BackupChain.Of(complete[i].Manifest!, byId)?[^1].Id, fulls, rules, now) is { } why)
                reasons[complete[i].Id] = why;
        var needed = new Queue<(string Id, string Why)>(reasons.Keys.ToList()
            .SelectMany(id => byId[id].DependsOn.Select(d => (d, $"blocks of it are read by kept backup {id}")))
            .Concat(all.Where(e => e.Status == BackupStatus.Running && e.Lease?.DependsOn is not null)
                .SelectMany(e => e.Lease!.DependsOn!.Select(d => (d, $"running backup {e.Id} builds on it")))));
        while (needed.TryDequeue(out var next))
        {
            if (!byId.TryGetValue(next.Id, out var manifest) || !reasons.TryAdd(next.Id, next.Why)) continue;
            foreach (var d in manifest.DependsOn) needed.Enqueue((d, $"blocks of it are read by kept backup {next.Id}"));
        }
        return complete.Select(e => new BackupDecision(e, reasons.GetValueOrDefault(e.Id))).ToList();
    }

    private static string? KeepReason(BackupManifest backup, int fromNewest, string? chainFull, List<string> fulls, RetentionSettings rules, DateTimeOffset now)
    {
        if (fromNewest == 0) return "the newest backup";
        if (rules.FullCount is { } n && chainFull is not null && fulls.IndexOf(chainFull) >= fulls.Count - n)
            return chainFull == backup.Id ? $"one of the newest {n}" : $"in the chain of {chainFull}, one of the newest {n} full backups";
        if (rules.MaxAgeDays is { } days && now - backup.StartTime < TimeSpan.FromDays(days)) return $"younger than {days} days";
        return null;
    }

}
