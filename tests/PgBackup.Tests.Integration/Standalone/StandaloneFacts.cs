using System.Globalization;
using PgBackup.Tests.Integration.Restore;
using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Standalone;

/// <summary>
/// Backup, archive and point-in-time restore against a real primary + standby of a major that
/// Debian 12 does not ship (scripts/sandbox/standalone.sh: 13, 14, 16), through the `pgbackup`
/// executable: the replication client's per-major syntax and stream proven end to end, with the
/// restored server (the same major's binaries, --pg-bin) as the judge of which rows survived.
/// </summary>
[Collection(StandaloneCollection.Name)]
[Trait(StandaloneTrait.Name, StandaloneTrait.Yes)]
public sealed class StandaloneFacts(StandalonePair pair, ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task A_backup_from_the_standby_verifies_and_restores_to_a_time_between_two_commits()
    {
        const string table = "standalone_pitr";
        using var policy = SharedPolicy();
        await pair.ExecuteOnLeaderAsync($"DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (id int PRIMARY KEY)");
        await using (var archiver = ArchiverProcess.Start(policy))
        {
            await pair.CommitMarkerAsync(table, 1);
            var backup = await RunAsync("backup", "--policy", policy.Path);
            Assert.True(backup.ExitCode == 0, backup.ToString());
            Assert.Matches(@$"backup \S+ \(full\) complete: .* from m2, ", backup.Stdout);
            var at2 = await pair.CommitMarkerAsync(table, 2);
            var at3 = await pair.CommitMarkerAsync(table, 3);
            var (timeline, lsn) = await pair.LeaderPositionAsync();
            await archiver.WaitArchivedAsync(timeline, lsn, Timeout);

            var verify = await RunAsync("verify", "--policy", policy.Path);
            Assert.True(verify.ExitCode == 0, verify.ToString());

            await using var restored = new RestoredDirectory();
            await RestoreAndStartAsync(policy, restored, "--time", RestoreHistory.Iso(at2 + (at3 - at2) / 2));
            Assert.Equal(["1", "2"], await restored.QueryAsync($"SELECT id FROM {table} ORDER BY id"));
            Assert.Equal([pair.Major.ToString(CultureInfo.InvariantCulture)], await restored.QueryAsync("SELECT current_setting('server_version_num')::int / 10000"));
        }
    }

    [Fact]
    public async Task The_archive_verb_follows_the_standby_through_its_promotion_and_a_restore_lands_on_the_new_timeline()
    {
        const string table = "standalone_promote";
        // With m1 stopped, the promoted m2 is the only member left: the archiver must be allowed to stream from a leader.
        using var policy = SharedPolicy(allowLeader: true);
        try
        {
            await pair.ExecuteOnLeaderAsync($"DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (id int PRIMARY KEY)");
            await using var archiver = ArchiverProcess.Start(policy);
            await pair.CommitMarkerAsync(table, 1);
            var backup = await RunAsync("backup", "--policy", policy.Path);
            Assert.True(backup.ExitCode == 0, backup.ToString());
            await pair.CommitMarkerAsync(table, 2);
            var (before, lsn) = await pair.LeaderPositionAsync();
            await archiver.WaitArchivedAsync(before, lsn, Timeout);
            Assert.Contains("archive: Streaming from m2 timeline", archiver.Output); // from the standby, before the promote

            pair.Promote();
            var (after, _) = await pair.LeaderPositionAsync();
            Assert.True(after > before, $"the promote left the leader on timeline {after}");
            await pair.CommitMarkerAsync(table, 3);
            await pair.ExecuteOnLeaderAsync("SELECT pg_switch_wal()");
            await pair.CommitMarkerAsync(table, 4);
            (_, lsn) = await pair.LeaderPositionAsync();
            await archiver.WaitArchivedAsync(after, lsn, Timeout);
            output.WriteLine(archiver.Output);

            await using var restored = new RestoredDirectory();
            var run = await RestoreAndStartAsync(policy, restored);
            Assert.Equal(["1", "2", "3", "4"], await restored.QueryAsync($"SELECT id FROM {table} ORDER BY id"));
            Assert.Contains($"recovery_target_timeline {after}", run.Stdout);
        }
        finally
        {
            pair.Recreate(); // m1 is down and m2 leads: the other facts need a standby again
        }
    }

    [Fact]
    public async Task A_tablespace_comes_as_its_own_archive_and_restores_into_the_mapped_directory()
    {
        const string table = "standalone_spaced";
        using var policy = SharedPolicy(allowLeader: true);
        try
        {
            // On one host the standby would replay CREATE TABLESPACE into the primary's own directory.
            pair.Stop("m2");
            var location = Path.Combine(pair.Endpoints.RunDirectory, "ts_" + Guid.NewGuid().ToString("N")[..8]);
            using (var mkdir = System.Diagnostics.Process.Start("setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "mkdir", location]))
                await mkdir.WaitForExitAsync();
            await pair.ExecuteOnLeaderAsync($"CREATE TABLESPACE spaced LOCATION '{location}'");
            await pair.ExecuteOnLeaderAsync($"CREATE TABLE {table} (id int PRIMARY KEY) TABLESPACE spaced; INSERT INTO {table} SELECT generate_series(1, 1000)");
            var oid = await pair.ScalarOnLeaderAsync("SELECT oid::text FROM pg_tablespace WHERE spcname = 'spaced'");

            var backup = await RunAsync("backup", "--policy", policy.Path);
            Assert.True(backup.ExitCode == 0, backup.ToString());
            Assert.Matches(@$"backup \S+ \(full\) complete: .* from m1, ", backup.Stdout);
            var info = await RunAsync("info", "--policy", policy.Path, "latest");
            Assert.Contains("1 extra tablespace(s)", info.Stdout);

            await using var restored = new RestoredDirectory();
            var mapped = Path.Combine(restored.Parent, "spaced");
            await RestoreAndStartAsync(policy, restored, "--immediate", "--tablespace-map", $"{oid}={mapped}");
            Assert.Equal(["1000"], await restored.QueryAsync($"SELECT count(*) FROM {table}"));
            Assert.Equal([mapped], await restored.QueryAsync("SELECT pg_tablespace_location(oid) FROM pg_tablespace WHERE spcname = 'spaced'"));
        }
        finally
        {
            pair.Recreate();
        }
    }

    /// <summary>A policy for the pair that the restored server (running as postgres) can read for wal-fetch.</summary>
    private PolicyFile SharedPolicy(bool allowLeader = false)
    {
        var policy = PolicyFile.ForSandbox(pair.Endpoints, allowLeader);
        policy.ShareWithGroup("postgres");
        return policy;
    }

    private async Task<CliResult> RestoreAndStartAsync(PolicyFile policy, RestoredDirectory into, params string[] target)
    {
        var run = await RunAsync(["restore", "--policy", policy.Path, .. into.RestoreArgs, "--start", "--pg-bin", pair.Endpoints.PgBin, .. target]);
        Assert.True(run.ExitCode == 0, $"{run}\n--- recovery log\n{into.RecoveryLog}");
        Assert.Contains("recovery    promoted", run.Stdout);
        return run;
    }

    private async Task<CliResult> RunAsync(params string[] args)
    {
        var run = await PgBackupCli.RunAsync(args, Timeout);
        output.WriteLine($"pgbackup {string.Join(' ', args)}\n{run}");
        return run;
    }
}
