using PgBackup.Policies;
using PgBackup.Postgres;
using PgBackup.Repository;
using PgBackup.Repository.Catalog;
using PgBackup.Retention;

namespace PgBackup.Tests.Unit.Retention;

/// <summary>
/// Retention of chains: full_count counts full backups and their diffs and incrs go with them, and
/// no backup whose blocks a kept or running backup reads is ever expired.
/// </summary>
public sealed class RetentionChainFacts
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private static readonly BackupEntry F1 = BackupSamples.Complete("20261117T020000Z", 1, "0/2000028", Now.AddDays(-10));
    private static readonly BackupEntry I1 = BackupSamples.Complete("20261118T020000Z", 1, "0/4000028", Now.AddDays(-9), BackupType.Incr, F1.Id, F1.Id);
    private static readonly BackupEntry I2 = BackupSamples.Complete("20261119T020000Z", 1, "0/6000028", Now.AddDays(-8), BackupType.Incr, I1.Id, F1.Id, I1.Id);
    private static readonly BackupEntry F2 = BackupSamples.Complete("20261122T020000Z", 2, "0/C000028", Now.AddDays(-5));
    private static readonly BackupEntry D1 = BackupSamples.Complete("20261127T100000Z", 2, "0/12000028", Now.AddHours(-2), BackupType.Diff, F2.Id, F2.Id);

    private static readonly BackupEntry[] All = [F1, I1, I2, F2, D1];

    [Fact]
    public void Full_count_counts_full_backups_and_their_incrementals_go_with_them()
    {
        var plan = Plan(All, new RetentionSettings(1, null));
        Assert.Equal([F2.Id, D1.Id], plan.Kept.Select(b => b.Entry.Id));
        Assert.Equal([F1.Id, I1.Id, I2.Id], plan.Expired.Select(b => b.Entry.Id));
    }

    [Fact]
    public void Two_fulls_keep_both_chains_whole()
    {
        var plan = Plan(All, new RetentionSettings(2, null));
        Assert.Empty(plan.Expired);
        Assert.Equal($"in the chain of {F1.Id}, one of the newest 2 full backups", plan.Kept.Single(b => b.Entry.Id == I2.Id).KeptBecause);
    }

    [Fact]
    public void A_young_incremental_keeps_every_older_backup_whose_blocks_it_reads()
    {
        var plan = Plan(All, new RetentionSettings(null, 9));
        Assert.Equal([F1.Id, I1.Id, I2.Id, F2.Id, D1.Id], plan.Kept.Select(b => b.Entry.Id));
        Assert.Equal($"blocks of it are read by kept backup {I2.Id}", plan.Kept.Single(b => b.Entry.Id == F1.Id).KeptBecause);
    }

    [Fact]
    public void A_running_incremental_keeps_the_backups_its_lease_names()
    {
        var lease = new BackupLease(Environment.MachineName, Environment.ProcessId, Now, Now, [I2.Id, I1.Id, F1.Id]);
        var running = new BackupEntry("20261127T110000Z", BackupStatus.Running, null, 1000, Now, lease);
        var plan = Plan([.. All, running], new RetentionSettings(1, null));
        Assert.Empty(plan.Expired);
        Assert.Equal($"running backup {running.Id} builds on it", plan.Kept.Single(b => b.Entry.Id == F1.Id).KeptBecause);
    }

    [Fact]
    public void The_wal_of_a_backup_kept_for_its_blocks_is_kept_from_its_start()
    {
        var wal = Enumerable.Range(1, 0x14).Select(n => new PgBackup.Repository.Storage.ObjectInfo($"main/wal/00000001/{new WalSegmentName(1, (ulong)n)}.zst", 1000, Now.AddDays(-11))).ToList();
        var plan = RetentionPlan.Compute(All, wal, new Dictionary<uint, TimelineHistory>(), new RepositoryLayout("main"), new RetentionSettings(null, 9), Now);
        Assert.DoesNotContain(plan.Wal, w => w.Segment is { } s && s.SegmentNumber >= 2);
    }

    private static RetentionPlan Plan(IReadOnlyList<BackupEntry> backups, RetentionSettings rules) =>
        RetentionPlan.Compute(backups, [], new Dictionary<uint, TimelineHistory>(), new RepositoryLayout("main"), rules, Now);
}
