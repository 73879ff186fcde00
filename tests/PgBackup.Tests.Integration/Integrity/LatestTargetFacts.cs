using PgBackup.Tests.Integration.Retention;
using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Integrity;

/// <summary>
/// A replica's backup ends inside a segment, so its own copy of that segment is zero past its end.
/// Once the archive holds the complete segment, a restore to the default target (everything
/// archived) must replay from the archive's copy: recovery handed the backup's copy reads the zeros
/// as the end of WAL and promotes there, silently losing every commit after the backup. With
/// restore --start the server starts while archived WAL still arrives, so the backup's copy must not
/// be offered at all when the archive's is coming (chaos.sh found this against S3, where the
/// download loses the race every time).
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class LatestTargetFacts(SandboxFixture sandbox, ITestOutputHelper output)
{
    [Fact]
    public async Task Restore_start_to_the_default_target_replays_past_the_backups_end_from_the_archives_complete_segment()
    {
        await using var repo = new ArchivedSandbox(sandbox);
        await repo.LeaderAsync("DROP TABLE IF EXISTS latest_marker; CREATE TABLE latest_marker (id int PRIMARY KEY)");
        await repo.SwitchWalAndWaitArchivedAsync();
        for (var round = 1; round <= 3; round++)
        {
            await repo.BackupAsync();
            // Written after the backup, in the segment the backup ended in; the switch completes that segment in the archive.
            await repo.LeaderAsync($"INSERT INTO latest_marker VALUES ({round})");
            await repo.SwitchWalAndWaitArchivedAsync();

            await using var restored = new RestoredDirectory();
            var run = await repo.RunAsync(["restore", .. restored.RestoreArgs, "--start"]);
            output.WriteLine(run.ToString());
            Assert.True(run.ExitCode == 0, $"{run}\n--- recovery log\n{restored.RecoveryLog}");
            Assert.Contains("arriving while the server recovers", run.Stdout);
            await using var connection = await restored.OpenAsync();
            await using var count = new Npgsql.NpgsqlCommand("SELECT count(*) FROM latest_marker", connection);
            Assert.True((long)(await count.ExecuteScalarAsync())! == round, $"round {round}: the restore lacks rows committed after the backup\n{run}\n--- recovery log\n{restored.RecoveryLog}");
        }
    }

    /// <summary>
    /// The same without the race: whatever restore leaves in pg_wal and its spool under a segment's
    /// name is the archive's copy of it, so neither restore_command's spool nor wal-fetch (which
    /// hands over pg_wal's copy after a restart) can give recovery the backup's zero-padded one.
    /// </summary>
    [Fact]
    public async Task A_restore_past_the_backups_end_leaves_only_the_archives_copy_of_a_segment_in_pg_wal()
    {
        await using var repo = new ArchivedSandbox(sandbox);
        await repo.BackupAsync();
        await repo.LeaderAsync("SELECT txid_current()");
        await repo.SwitchWalAndWaitArchivedAsync();

        await using var restored = new RestoredDirectory();
        var run = await repo.RunAsync(["restore", .. restored.RestoreArgs]);
        Assert.True(run.ExitCode == 0, run.ToString());

        var timeline = (await repo.LeaderAsync("SELECT timeline_id FROM pg_control_checkpoint()"))!;
        var archive = Path.Combine(repo.ClusterRoot, "wal", uint.Parse(timeline, System.Globalization.CultureInfo.InvariantCulture).ToString("X8", System.Globalization.CultureInfo.InvariantCulture));
        var pgWal = Path.Combine(restored.PgData, "pg_wal");
        var compared = 0;
        foreach (var file in Directory.EnumerateFiles(pgWal, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(f).Length == 24))
        {
            var archived = Path.Combine(archive, Path.GetFileName(file) + ".zst");
            if (!File.Exists(archived)) continue;
            using var decoded = new ZstdSharp.DecompressionStream(File.OpenRead(archived));
            using var plain = new MemoryStream();
            await decoded.CopyToAsync(plain);
            var restoredCopy = await File.ReadAllBytesAsync(file);
            Assert.True(plain.ToArray().AsSpan().SequenceEqual(restoredCopy), $"{Path.GetRelativePath(restored.PgData, file)} is not the archive's copy of the segment (the backup's own, zero past its end?)");
            compared++;
        }
        output.WriteLine($"{compared} segment file(s) in pg_wal compared with the archive's");
        Assert.True(compared > 0, "the restore spooled no archived segment");
    }
}
