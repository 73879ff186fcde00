using PgBackup.Errors;
using PgBackup.Policies;
using PgBackup.Postgres;
using PgBackup.Repository;
using PgBackup.Repository.Storage;
using PgBackup.Retention;
using PgBackup.Repository.Catalog;

namespace PgBackup.Tests.Unit.Retention;

/// <summary>
/// A repository as it looks some days after a failover: timeline 1 archived up to the promotion
/// at 0/A000100 (its last segment only as the partial the old primary left), timeline 2 from
/// there on with its history file, and four backups — two on each timeline.
/// </summary>
public sealed class RetentionPlanFacts
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly RepositoryLayout Layout = new("main");
    private const string Failover = "1\t0/A000100\tno recovery target specified\n";

    private static readonly BackupEntry B1 = BackupSamples.Complete("20261117T020000Z", 1, "0/2000028", Now.AddDays(-10));
    private static readonly BackupEntry B2 = BackupSamples.Complete("20261122T020000Z", 1, "0/6000028", Now.AddDays(-5));
    private static readonly BackupEntry B3 = BackupSamples.Complete("20261126T020000Z", 2, "0/C000028", Now.AddDays(-1));
    private static readonly BackupEntry B4 = BackupSamples.Complete("20261127T100000Z", 2, "0/12000028", Now.AddHours(-2));

    private static List<ObjectInfo> WalAfterFailover() =>
    [
        .. Segments(1, 0x1, 0x9),
        Wal("wal/00000001/00000001000000000000000A.partial.zst"),
        Wal("wal/00000002.history.zst"),
        .. Segments(2, 0xA, 0x14),
        Wal("wal/00000002/000000020000000000000015.partial.zst"),
    ];

    private static readonly Dictionary<uint, TimelineHistory> Histories = new() { [2] = TimelineHistory.Parse(2, Failover) };

    [Fact]
    public void Keeps_the_newest_full_count_backups_and_expires_the_rest()
    {
        var plan = Plan([B1, B2, B3, B4], new RetentionSettings(2, null));
        Assert.Equal(["20261126T020000Z", "20261127T100000Z"], plan.Kept.Select(b => b.Entry.Id));
        Assert.Equal(["20261117T020000Z", "20261122T020000Z"], plan.Expired.Select(b => b.Entry.Id));
    }

    [Fact]
    public void Removes_the_wal_before_the_oldest_kept_backup_on_every_timeline()
    {
        var plan = Plan([B1, B2, B3, B4], new RetentionSettings(2, null));
        // B3 starts in segment C of timeline 2: everything of timeline 1 (it left before) and 2/A, 2/B go.
        Assert.Equal(
            [.. Names(1, 0x1, 0x9), "00000001000000000000000A.partial", "00000002000000000000000A", "00000002000000000000000B"],
            plan.Wal.Select(w => w.Segment!.Value.FileName + (w.Partial ? ".partial" : "")));
    }

    [Fact]
    public void Keeps_the_wal_after_the_oldest_kept_backups_start_along_the_timeline_switch()
    {
        var plan = Plan([B1, B2, B3, B4], new RetentionSettings(3, null));
        // B2 (timeline 1, segment 6) recovers through the failover: 1/6..1/9, the old partial, and all of timeline 2 stay.
        Assert.Equal(Names(1, 0x1, 0x5), plan.Wal.Select(w => w.Segment!.Value.FileName));
        Assert.Equal(["20261122T020000Z", "20261126T020000Z", "20261127T100000Z"], plan.Kept.Select(b => b.Entry.Id));
    }

    [Fact]
    public void Keeps_the_history_file_of_a_timeline_with_kept_wal()
    {
        var plan = Plan([B1, B2, B3, B4], new RetentionSettings(1, null));
        Assert.DoesNotContain(plan.Wal, w => w.Segment is null);
    }

    [Fact]
    public void With_both_rules_keeps_what_either_rule_keeps()
    {
        // full_count 1 keeps only B4; max_age_days 6 also keeps B2 and B3.
        var plan = Plan([B1, B2, B3, B4], new RetentionSettings(1, 6));
        Assert.Equal(["20261122T020000Z", "20261126T020000Z", "20261127T100000Z"], plan.Kept.Select(b => b.Entry.Id));
        Assert.Equal(["younger than 6 days", "younger than 6 days", "the newest backup"], plan.Kept.Select(b => b.KeptBecause));
    }

    [Fact]
    public void Max_age_alone_keeps_the_backups_started_within_the_days()
    {
        var plan = Plan([B1, B2, B3, B4], new RetentionSettings(null, 2));
        Assert.Equal(["20261126T020000Z", "20261127T100000Z"], plan.Kept.Select(b => b.Entry.Id));
    }

    [Fact]
    public void Never_expires_the_newest_complete_backup()
    {
        var older = BackupSamples.Complete("20261028T020000Z", 2, "0/C000028", Now.AddDays(-30));
        var old = BackupSamples.Complete("20261101T020000Z", 2, "0/12000028", Now.AddDays(-26));
        var plan = Plan([older, old], new RetentionSettings(null, 7));
        var kept = Assert.Single(plan.Kept);
        Assert.Equal("20261101T020000Z", kept.Entry.Id);
        Assert.Equal("the newest backup", kept.KeptBecause);
    }

    [Fact]
    public void Orders_backups_by_recorded_start_time_not_by_id()
    {
        // A clock stepped back: the later backup got the smaller id.
        var later = BackupSamples.Complete("20261120T000000Z", 2, "0/12000028", Now.AddHours(-1));
        var plan = Plan([B3, later], new RetentionSettings(1, null));
        Assert.Equal("20261120T000000Z", Assert.Single(plan.Kept).Entry.Id);
    }

    [Fact]
    public void Removes_an_abandoned_branch_and_its_history_but_keeps_a_timeline_without_history()
    {
        // Timeline 3 branched off timeline 1 at 0/4000000 (a test restore that was promoted) — before any kept backup;
        // timeline 4's history file is missing, so where it belongs is unknown.
        var wal = WalAfterFailover().Concat([Wal("wal/00000003.history.zst"), .. Segments(3, 0x4, 0x5), .. Segments(4, 0x3, 0x3)]).ToList();
        var histories = new Dictionary<uint, TimelineHistory>(Histories) { [3] = TimelineHistory.Parse(3, "1\t0/4000000\trestore test\n") };
        var plan = RetentionPlan.Compute([B1, B2, B3, B4], wal, histories, Layout, new RetentionSettings(2, null), Now);
        Assert.Contains(plan.Wal, w => w.Object.Key == "main/wal/00000003.history.zst");
        Assert.Contains(plan.Wal, w => w.Object.Key == "main/wal/00000003/000000030000000000000005.zst");
        Assert.DoesNotContain(plan.Wal, w => w.Timeline == 4);
        Assert.Equal([4u], plan.TimelinesWithoutHistory);
    }

    [Fact]
    public void Removes_debris_only_after_the_grace_period()
    {
        var dead = new BackupEntry("20261127T080000Z", BackupStatus.Dead, null, 1000, Now.AddHours(-3));
        var freshlyDead = new BackupEntry("20261127T113000Z", BackupStatus.Dead, null, 1000, Now.AddMinutes(-20));
        var running = new BackupEntry("20261127T114500Z", BackupStatus.Running, null, 1000, Now.AddMinutes(-30 * 3));
        var plan = Plan([B4, dead, freshlyDead, running], new RetentionSettings(1, null));
        Assert.Equal("20261127T080000Z", Assert.Single(plan.Debris).Id);
    }

    [Fact]
    public void Counts_the_space_freed()
    {
        var plan = Plan([B1, B2, B3, B4], new RetentionSettings(3, null));
        Assert.Equal(B1.StoredBytes + 5 * 1000, plan.BytesFreed);
    }

    [Fact]
    public void Refuses_a_policy_without_retention()
    {
        var e = Assert.Throws<UsageException>(() => Plan([B1], new RetentionSettings(null, null)));
        Assert.Contains("retention.full_count", e.Message);
    }

    private static RetentionPlan Plan(IReadOnlyList<BackupEntry> backups, RetentionSettings rules) =>
        RetentionPlan.Compute(backups, WalAfterFailover(), Histories, Layout, rules, Now);

    private static IEnumerable<ObjectInfo> Segments(uint timeline, ulong first, ulong last)
    {
        for (var n = first; n <= last; n++)
            yield return Wal($"wal/{timeline:X8}/{new WalSegmentName(timeline, n)}.zst");
    }

    private static string[] Names(uint timeline, ulong first, ulong last) =>
        Segments(timeline, first, last).Select(o => Path.GetFileName(o.Key)[..24]).ToArray();

    private static ObjectInfo Wal(string relative) => new("main/" + relative, 1000, Now.AddDays(-1));
}
