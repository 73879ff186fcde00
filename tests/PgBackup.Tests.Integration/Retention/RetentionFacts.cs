using System.Diagnostics;
using System.Globalization;
using Npgsql;
using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Retention;

/// <summary>
/// `pgbackup expire` on a live repository that spans a failover: two backups on the old timeline,
/// one on the new, WAL archived throughout.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class RetentionFacts(SandboxFixture sandbox)
{
    [Fact]
    public async Task Expire_keeps_what_the_kept_backups_need_across_a_failover_and_their_window_still_restores()
    {
        await using var repo = new ArchivedSandbox(sandbox);
        await repo.LeaderAsync("DROP TABLE IF EXISTS retention_marker; CREATE TABLE retention_marker (note text)");
        await repo.SwitchWalAndWaitArchivedAsync();
        var b1 = await repo.BackupAsync();
        await repo.LeaderAsync("INSERT INTO retention_marker VALUES ('after b1')");
        await repo.SwitchWalAndWaitArchivedAsync();
        var b2 = await repo.BackupAsync();
        var oldTimeline = uint.Parse((await repo.LeaderAsync("SELECT timeline_id FROM pg_control_checkpoint()"))!, CultureInfo.InvariantCulture);
        await repo.LeaderAsync("INSERT INTO retention_marker VALUES ('after b2')");
        var target = await TargetTimeAsync(repo);
        await repo.LeaderAsync("INSERT INTO retention_marker VALUES ('after the target')");
        await repo.SwitchWalAndWaitArchivedAsync();

        FailOver();
        await repo.LeaderAsync("INSERT INTO retention_marker VALUES ('on the new timeline')");
        await repo.SwitchWalAndWaitArchivedAsync();
        var b3 = await repo.BackupAsync();
        await repo.SwitchWalAndWaitArchivedAsync();
        var newTimeline = oldTimeline + 1;
        Assert.NotEmpty(repo.ArchivedSegments(newTimeline));

        // --dry-run: the repository is byte for byte what it was (but for the partial segment the live archiver replaces).
        repo.SetRetention("full_count: 1");
        static IEnumerable<string> ButPartials(IEnumerable<string> listing) => listing.Where(l => !l.Contains(".partial.zst ", StringComparison.Ordinal));
        var before = repo.Listing();
        var dryRun = await repo.RunAsync("expire", "--dry-run");
        Assert.True(dryRun.ExitCode == 0, dryRun.ToString());
        Assert.Contains($"expire?  backup {b1}", dryRun.Stdout);
        Assert.Equal(ButPartials(before), ButPartials(repo.Listing()));

        // Both rules: full_count 1 alone would expire b1 and b2, max_age_days 1 keeps them — either rule keeps.
        repo.SetRetention("full_count: 1", "max_age_days: 1");
        var both = await repo.RunAsync("expire");
        Assert.True(both.ExitCode == 0, both.ToString());
        Assert.Equal([b1, b2, b3], BackupIds(repo));

        // full_count 2: b1 goes, and the WAL before b2's start; b2's window through the failover stays.
        repo.SetRetention("full_count: 2");
        var oldSegmentsBefore = repo.ArchivedSegments(oldTimeline);
        var newSegmentsBefore = repo.ArchivedSegments(newTimeline);
        var expire = await repo.RunAsync("expire");
        Assert.True(expire.ExitCode == 0, expire.ToString());
        Assert.Contains($"expired  backup {b1}", expire.Stdout);
        Assert.Equal([b2, b3], BackupIds(repo));
        var b2Start = StartSegment(repo, b2);
        Assert.Equal(oldSegmentsBefore.Where(s => string.CompareOrdinal(s[8..24], b2Start[8..24]) >= 0), repo.ArchivedSegments(oldTimeline));
        Assert.Contains(oldSegmentsBefore, s => string.CompareOrdinal(s[8..24], b2Start[8..24]) < 0); // something was due to go
        Assert.Empty(newSegmentsBefore.Except(repo.ArchivedSegments(newTimeline))); // the archiver keeps adding to it
        Assert.True(File.Exists(Path.Combine(repo.ClusterRoot, "wal", $"{newTimeline:X8}.history.zst")), "the new timeline's history file must stay");

        // The oldest promised point: just after b2, on the old timeline, replayed from the WAL expire kept.
        Assert.Equal(["after b1", "after b2"], await RestoreAndReadMarkersAsync(repo, "--time", target));
    }

    [Fact]
    public async Task Expire_with_incremental_chains_across_a_failover_keeps_every_chain_it_promises_and_the_oldest_point_restores()
    {
        await using var repo = new ArchivedSandbox(sandbox);
        repo.SetCompression("client");
        await repo.LeaderAsync("DROP TABLE IF EXISTS retention_marker; CREATE TABLE retention_marker (note text)");
        await repo.SwitchWalAndWaitArchivedAsync();
        var f0 = await repo.BackupAsync("--type", "full");
        await repo.LeaderAsync("INSERT INTO retention_marker VALUES ('after f0')");
        var f1 = await repo.BackupAsync("--type", "full");
        await repo.LeaderAsync("INSERT INTO retention_marker VALUES ('after f1')");
        var target = await TargetTimeAsync(repo);
        await repo.LeaderAsync("INSERT INTO retention_marker VALUES ('after the target')");
        var i1 = await repo.BackupAsync("--type", "incr");
        await repo.SwitchWalAndWaitArchivedAsync();

        FailOver();
        await repo.LeaderAsync("INSERT INTO retention_marker VALUES ('on the new timeline')");
        var i2 = await repo.BackupAsync("--type", "incr");
        var f2 = await repo.BackupAsync("--type", "full");
        var i3 = await repo.BackupAsync("--type", "incr");
        await repo.SwitchWalAndWaitArchivedAsync();
        Assert.Equal(i1, Reference(repo, i2)); // the chain crosses the timeline switch
        Assert.Equal(f2, Reference(repo, i3));

        // Two fulls kept: f1's chain (reaching over the failover) and f2's; only f0 goes.
        repo.SetRetention("full_count: 2");
        var expire = await repo.RunAsync("expire");
        Assert.True(expire.ExitCode == 0, expire.ToString());
        Assert.Equal([f1, i1, i2, f2, i3], BackupIds(repo));
        var verify = await repo.RunAsync("verify", "--all");
        Assert.True(verify.ExitCode == 0, verify.ToString());

        // The oldest promised point, between f1 and i1 on the old timeline; and i2's end, on the new one.
        Assert.Equal(["after f0", "after f1"], await RestoreAndReadMarkersAsync(repo, "--time", target));
        Assert.Equal(["after f0", "after f1", "after the target", "on the new timeline"], await RestoreAndReadMarkersAsync(repo, "--backup", i2, "--immediate"));
    }

    /// <summary>A time one second after everything written so far and one second before anything written next.</summary>
    private static async Task<string> TargetTimeAsync(ArchivedSandbox repo)
    {
        await Task.Delay(1000);
        var target = await repo.LeaderAsync("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
        await Task.Delay(1000);
        return target!;
    }

    private void FailOver()
    {
        try
        {
            sandbox.Sandbox("failover");
        }
        finally
        {
            sandbox.WaitHealthy();
        }
    }

    private static string? Reference(ArchivedSandbox repo, string id)
    {
        using var json = System.Text.Json.JsonDocument.Parse(StoredDocumentFile.ReadText(Path.Combine(repo.ClusterRoot, "backups", id, "manifest.json")));
        return json.RootElement.TryGetProperty("reference", out var reference) ? reference.GetString() : null;
    }

    /// <summary>Backups with any object left (a local store leaves emptied directories behind).</summary>
    private static IReadOnlyList<string> BackupIds(ArchivedSandbox repo) =>
        Directory.GetDirectories(Path.Combine(repo.ClusterRoot, "backups")).Where(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories).Any())
            .Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToList();

    /// <summary>The 24-hex name of the segment holding a backup's start LSN, from its manifest.</summary>
    private static string StartSegment(ArchivedSandbox repo, string id)
    {
        using var json = System.Text.Json.JsonDocument.Parse(StoredDocumentFile.ReadText(Path.Combine(repo.ClusterRoot, "backups", id, "manifest.json")));
        var lsn = PgBackup.Postgres.Lsn.Parse(json.RootElement.GetProperty("startLsn").GetString()!);
        var timeline = json.RootElement.GetProperty("timeline").GetUInt32();
        return PgBackup.Postgres.WalSegmentName.Containing(timeline, lsn).FileName;
    }

    private static async Task<IReadOnlyList<string>> RestoreAndReadMarkersAsync(ArchivedSandbox repo, params string[] target)
    {
        // The restored server runs as postgres (we are root), which must reach its directory.
        File.SetUnixFileMode(repo.Policy.Directory, (UnixFileMode)Convert.ToInt32("755", 8));
        var pgData = Path.Combine(repo.Policy.Directory, "restored");
        var port = Serve.ServeProcess.FreePort();
        if (Directory.Exists(pgData)) Directory.Delete(pgData, recursive: true);
        var restore = await repo.RunAsync(["restore", .. target, "--pgdata", pgData, "--port", port.ToString(CultureInfo.InvariantCulture), "--start"]);
        try
        {
            Assert.True(restore.ExitCode == 0, restore.ToString());
            await using var connection = new NpgsqlConnection($"Host=/tmp;Port={port};Username=postgres;Database=postgres;Pooling=false");
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT string_agg(note, '|' ORDER BY note) FROM retention_marker", connection);
            return ((string)(await command.ExecuteScalarAsync())!).Split('|');
        }
        finally
        {
            if (File.Exists(Path.Combine(pgData, "postmaster.pid")))
                using (var stop = Process.Start("setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", Path.Combine(repo.Sandbox.Endpoints.PgBin, "pg_ctl"), "-D", pgData, "-m", "immediate", "-w", "stop"]))
                    await stop.WaitForExitAsync();
        }
    }
}
