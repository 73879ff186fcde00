using PgBackup.Backup;
using PgBackup.Postgres;
using PgBackup.Repository.Catalog;
using PgBackup.Tests.Unit.Retention;

namespace PgBackup.Tests.Unit.Backup;

/// <summary>Which backup a diff or incr builds on, and every reason it becomes a full one instead.</summary>
public sealed class ReferenceChoiceFacts
{
    private const string SystemId = "7301234567890123456";
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly BackupManifest Full = BackupSamples.Complete("20261120T020000Z", 1, "0/2000028", Now.AddDays(-7)).Manifest!;
    private static readonly BackupManifest Incr = BackupSamples.Complete("20261121T020000Z", 1, "0/4000028", Now.AddDays(-6), BackupType.Incr, Full.Id, Full.Id).Manifest!;

    /// <summary>The switch to timeline 2 at 0/9000000, after both backups ended.</summary>
    private static readonly TimelineHistory OnTimeline2 = TimelineHistory.Parse(2, "1\t0/9000000\tno recovery target specified\n");

    [Fact]
    public void An_incr_builds_on_the_newest_backup_of_any_type()
    {
        var basis = Choose(BackupType.Incr, [Full, Incr]);
        Assert.Same(Incr, basis.Reference);
        Assert.Equal(BackupType.Incr, basis.Type);
        Assert.Null(basis.FullBecause);
    }

    [Fact]
    public void A_diff_builds_on_the_newest_full()
    {
        Assert.Same(Full, Choose(BackupType.Diff, [Full, Incr]).Reference);
    }

    [Fact]
    public void A_full_is_asked_for_and_taken_without_a_reason()
    {
        Assert.Equal(BackupBasis.Full(), Choose(BackupType.Full, [Full, Incr]));
    }

    [Theory]
    [InlineData("empty", "no backup to build on yet")]
    [InlineData("other cluster", "of another cluster")]
    [InlineData("other major", "is of PostgreSQL 14, the source runs 15")]
    [InlineData("not an ancestor", "not on the source's timeline 2 history")]
    [InlineData("no block map", "has no block map")]
    [InlineData("missing link", "reuses blocks of backup 20261120T020000Z, which is not in the repository")]
    [InlineData("chain too long", "already 1 link(s) from its full backup (backup.max_chain: 1)")]
    public void An_unusable_reference_makes_the_backup_a_full_one_and_says_why(string case_, string because)
    {
        var history = OnTimeline2;
        var maxChain = 7;
        var hasBlockMap = true;
        IReadOnlyList<BackupManifest> complete = [Full, Incr];
        switch (case_)
        {
            case "empty": complete = []; break;
            case "other cluster": complete = [Full, Incr with { SystemIdentifier = "7300000000000000000" }]; break;
            case "other major": complete = [Full, Incr with { ServerVersionNum = 140011 }]; break;
            // Timeline 2 branched off timeline 1 before the incremental ended: it is not on the source's past.
            case "not an ancestor": history = TimelineHistory.Parse(2, "1\t0/3000000\tno recovery target specified\n"); break;
            case "no block map": hasBlockMap = false; break;
            case "missing link": complete = [Incr]; break;
            case "chain too long": maxChain = 1; break;
        }
        var basis = ReferenceChoice.Choose(BackupType.Incr, complete, SystemId, 15, history, maxChain, _ => hasBlockMap);
        Assert.Equal(BackupType.Full, basis.Type);
        Assert.Null(basis.Reference);
        Assert.Contains(because, basis.FullBecause, StringComparison.Ordinal);
    }

    private static BackupBasis Choose(BackupType type, IReadOnlyList<BackupManifest> complete) =>
        ReferenceChoice.Choose(type, complete, SystemId, 15, OnTimeline2, 7, _ => true);
}
