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
}
