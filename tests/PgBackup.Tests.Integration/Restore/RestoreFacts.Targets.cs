using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Restore;

/// <summary>Recovery targets: each restore holds exactly the markers committed at or before its target.</summary>
public sealed partial class RestoreFacts
{
    [Fact]
    [Trait(Smoke.Trait, Smoke.Yes)]
    public async Task A_time_between_two_commits_restores_the_earlier_only()
    {
        await using var restored = new RestoredDirectory();
        await RestoreAndStartAsync(restored, "--time", history.Between(2, 3));
        Assert.Equal(Upto(2), await MarkersAsync(restored));
    }

    [Fact]
    public async Task The_time_of_a_commit_includes_it_and_exclusive_stops_just_before_it()
    {
        var at3 = RestoreHistory.Iso(history.CommitTimes[3]);
        await using (var restored = new RestoredDirectory())
        {
            await RestoreAndStartAsync(restored, "--time", at3);
            Assert.Equal(Upto(3), await MarkersAsync(restored));
        }
        await using (var restored = new RestoredDirectory())
        {
            await RestoreAndStartAsync(restored, "--time", at3, "--exclusive");
            Assert.Equal(Upto(2), await MarkersAsync(restored));
        }
    }

    [Fact]
    public async Task A_time_after_the_failover_lands_on_the_new_timeline()
    {
        await using var restored = new RestoredDirectory();
        var run = await RestoreAndStartAsync(restored, "--time", history.Between(4, 5));
        // Marker 4 exists only on the timeline the failover created.
        Assert.Equal(Upto(4), await MarkersAsync(restored));
        Assert.Contains($"→ {history.TimelineAfterFailover} (recovery_target_timeline {history.TimelineAfterFailover})", run.Stdout);
        Assert.Contains("recovery stopping before commit of transaction", run.Stdout);
    }

    [Fact]
    public async Task An_xid_stops_after_that_transaction_or_just_before_it()
    {
        var xid = history.XidOfMarker5.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using (var restored = new RestoredDirectory())
        {
            var run = await RestoreAndStartAsync(restored, "--xid", xid);
            Assert.Equal(Upto(5), await MarkersAsync(restored));
            Assert.Contains($"recovery stopping after commit of transaction {xid}", run.Stdout);
        }
        await using (var restored = new RestoredDirectory())
        {
            var run = await RestoreAndStartAsync(restored, "--xid", xid, "--exclusive");
            Assert.Equal(Upto(4), await MarkersAsync(restored));
            Assert.Contains($"recovery stopping before commit of transaction {xid}", run.Stdout);
        }
    }

    [Fact]
    public async Task The_LSN_of_a_commit_record_includes_it_and_exclusive_stops_just_before_it()
    {
        var lsn = history.CommitLsnOfMarker6.ToString();
        await using (var restored = new RestoredDirectory())
        {
            await RestoreAndStartAsync(restored, "--lsn", lsn);
            Assert.Equal(Upto(6), await MarkersAsync(restored));
        }
        await using (var restored = new RestoredDirectory())
        {
            await RestoreAndStartAsync(restored, "--lsn", lsn, "--exclusive");
            Assert.Equal(Upto(5), await MarkersAsync(restored));
        }
    }

    /// <summary>
    /// A restore point holds no data, so PostgreSQL stops at it whatever recovery_target_inclusive
    /// says: with or without --exclusive, exactly the markers committed before it.
    /// </summary>
    [Fact]
    public async Task A_named_restore_point_stops_there_with_or_without_exclusive()
    {
        foreach (var exclusive in new[] { false, true })
        {
            await using var restored = new RestoredDirectory();
            var run = await RestoreAndStartAsync(restored, exclusive ? ["--name", RestoreHistory.RestorePoint, "--exclusive"] : ["--name", RestoreHistory.RestorePoint]);
            Assert.Equal(Upto(6), await MarkersAsync(restored));
            Assert.Contains($"recovery stopping at restore point \"{RestoreHistory.RestorePoint}\"", run.Stdout);
        }
    }

    /// <summary>Marker 9 is only in the archiver's partial segment: --latest and an LSN target in it both reach it.</summary>
    [Fact]
    public async Task The_last_seconds_in_the_partial_segment_are_reachable()
    {
        await using (var restored = new RestoredDirectory())
        {
            await RestoreAndStartAsync(restored, "--latest");
            Assert.Equal(Upto(RestoreHistory.LastMarker), await MarkersAsync(restored));
        }
        await using (var restored = new RestoredDirectory())
        {
            await RestoreAndStartAsync(restored, "--lsn", history.CommitLsnOfMarker9.ToString(), "--exclusive");
            Assert.Equal(Upto(8), await MarkersAsync(restored));
        }
    }

    /// <summary>
    /// restore_command really is `pgbackup wal-fetch` run as postgres: with every archived WAL file
    /// the restore prefetched removed from its spool, recovery fetches them itself.
    /// </summary>
    [Fact]
    public async Task Restore_command_fetches_archived_WAL_as_the_postgres_user()
    {
        await using var restored = new RestoredDirectory();
        var run = await RestoreAsync([.. restored.RestoreArgs, "--xid", history.XidOfMarker5.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("wal-fetch %f %p --policy", File.ReadAllText(Path.Combine(restored.PgData, "postgresql.auto.conf")));
        var removed = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(restored.PgData, "pg_wal", "pgbackup-spool")))
        {
            var name = Path.GetFileName(file);
            if (history.BackupWalFiles.Contains(name)) continue;
            File.Delete(file);
            removed.Add(name);
        }
        output.WriteLine("removed from the spool: " + string.Join(", ", removed));
        Assert.Contains(removed, n => n.StartsWith($"{history.TimelineAfterFailover:X8}", StringComparison.Ordinal));

        await restored.StartAndWaitPromotedAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(Upto(5), await MarkersAsync(restored));
        Assert.Contains($"restored log file \"{history.TimelineAfterFailover:X8}", restored.RecoveryLog);
    }

    /// <summary>
    /// When postgres cannot read the policy, recovery still takes the WAL the restore spooled (the
    /// shell hands it over, no pgbackup runs), and restore_command fails plainly for the rest (never
    /// "not found", which PostgreSQL treats as fatal). Once recovery ends the spool is gone.
    /// </summary>
    [Fact]
    public async Task With_an_unreadable_policy_recovery_uses_the_prefetched_WAL()
    {
        history.Policy.Unshare();
        try
        {
            await using var restored = new RestoredDirectory();
            await RestoreAndStartAsync(restored, "--time", history.Between(7, 8));
            Assert.Equal(Upto(7), await MarkersAsync(restored));
            Assert.Contains("not readable by postgres", File.ReadAllText(Path.Combine(restored.PgData, "postgresql.auto.conf")));
            Assert.Contains("restored log file", restored.RecoveryLog);
            Assert.False(Directory.Exists(Path.Combine(restored.PgData, "pg_wal", "pgbackup-spool")), "the spool outlived recovery");
        }
        finally
        {
            history.Policy.ShareWithGroup("postgres");
        }
    }
}
