using System.Text.Json;
using PgBackup.Tests.Integration.Backup;
using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;
using PgBackup.Repository.Catalog;

namespace PgBackup.Tests.Integration.Integrity;

/// <summary>
/// A backup is listed only if it provably restores: to its own end (--immediate) and to the
/// default target, on an idle cluster past a timeline switch, and whatever moment the leader dies
/// during the backup. Every listed backup is restored and started; every refused one fails with
/// one error line and leaves nothing listed.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class BackupProofFacts(SandboxFixture fixture, ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(180);

    private readonly BackupTestbed _bed = new(fixture);

    [Fact]
    public async Task A_replica_backup_of_an_idle_cluster_past_a_switchover_restores_to_its_own_end_and_to_the_default_target_also_once_a_later_timeline_exists()
    {
        if (await LeaderTimelineAsync() == 1)
            fixture.Sandbox("switchover");
        fixture.WaitHealthy();
        await _bed.ExecuteAsync(await _bed.LeaderPortAsync(), "postgres", "CHECKPOINT");
        await _bed.WaitForReplicasAsync(Deadline);
        var policy = _bed.LocalPolicy(_bed.NewDirectory("repo"));

        var backup = await PgBackupCli.RunAsync(["backup", "--policy", policy, "--json"], Deadline);
        Assert.True(backup.ExitCode == 0, backup.ToString());
        var manifest = await ManifestAsync(policy, JsonDocument.Parse(backup.Stdout).RootElement.GetProperty("id").GetString()!);
        Assert.True(manifest.Timeline > 1);
        Assert.NotNull(manifest.LastRecordLsn);

        await RestoresAndStartsAsync(policy, manifest.Id, "--immediate");
        await RestoresAndStartsAsync(policy, manifest.Id);

        // Without an archiver, a later backup on the next timeline carries the only copy of that
        // timeline's history: the older backup still restores to the default target through it.
        fixture.Sandbox("switchover");
        fixture.WaitHealthy();
        await _bed.WaitForReplicasAsync(Deadline);
        var later = await PgBackupCli.RunAsync(["backup", "--policy", policy], Deadline);
        Assert.True(later.ExitCode == 0, later.ToString());
        await RestoresAndStartsAsync(policy, manifest.Id);
    }

    /// <summary>
    /// Ten backups, each with the leader killed (kill -9 of its postmaster, Patroni fails over) at a
    /// different moment from its start (its lease appears) to 3.6 s into it, alternately with and without --retry 1.
    /// </summary>
    [Fact]
    public async Task Every_backup_listed_while_the_leader_is_killed_restores_to_its_end_and_to_the_default_target()
    {
        await _bed.DatasetAsync();
        var policy = _bed.LocalPolicy(_bed.NewDirectory("repo"));
        var outcomes = new List<string>();
        try
        {
            for (var round = 0; round < 10; round++)
            {
                fixture.WaitHealthy();
                await _bed.WaitForReplicasAsync(Deadline);
                var before = (await BackupTestbed.ListAsync(policy)).Select(b => b.GetProperty("id").GetString()!).ToHashSet();
                var retry = round % 2 == 1;
                var objectsBefore = (await BackupTestbed.BackupObjectsAsync(policy)).Count;
                using var running = PgBackupCli.Start(retry ? ["backup", "--policy", policy, "--retry", "1"] : ["backup", "--policy", policy]);
                while (!running.HasExited && (await BackupTestbed.BackupObjectsAsync(policy)).Count == objectsBefore)
                    await Task.Delay(20);
                await Task.Delay(TimeSpan.FromMilliseconds(round * 400));
                var failover = Task.Run(() => fixture.Sandbox("failover"));
                var result = await running.WaitAsync(Deadline);
                await failover;

                var listed = (await BackupTestbed.ListAsync(policy, all: true)).ToList();
                var added = listed.Where(b => !before.Contains(b.GetProperty("id").GetString()!)).ToList();
                outcomes.Add($"round {round} (kill {round * 400} ms after the backup started, retry {retry}): exit {result.ExitCode}, {added.Count} new backup(s)");
                output.WriteLine(outcomes[^1] + "\n" + result);
                if (result.ExitCode == 0)
                {
                    var id = Assert.Single(added).GetProperty("id").GetString()!;
                    Assert.Equal("complete", Assert.Single(added).GetProperty("status").GetString());
                    fixture.WaitHealthy();
                    await RestoresAndStartsAsync(policy, id, "--immediate");
                    await RestoresAndStartsAsync(policy, id);
                }
                else
                {
                    Assert.True(result.ExitCode is 3 or 5, result.ToString());
                    Assert.Single(result.ErrorLines);
                    Assert.DoesNotContain(added, b => b.GetProperty("status").GetString() == "complete");
                }
            }
        }
        finally
        {
            output.WriteLine(string.Join("\n", outcomes));
            fixture.WaitHealthy();
        }
    }

    private async Task RestoresAndStartsAsync(string policy, string id, params string[] target)
    {
        await using var restored = new RestoredDirectory();
        var run = await PgBackupCli.RunAsync(["restore", "--policy", policy, "--backup", id, .. restored.RestoreArgs, "--start", .. target], Deadline);
        output.WriteLine($"restore {id} {string.Join(' ', target)}: {run}");
        Assert.True(run.ExitCode == 0, $"{run}\n--- recovery log\n{restored.RecoveryLog}");
        Assert.Contains("recovery    promoted", run.Stdout);
        Assert.Equal("1", Assert.Single(await restored.QueryAsync("SELECT 1")));
    }

    private async Task<long> LeaderTimelineAsync() =>
        await _bed.ScalarAsync<int>(await _bed.LeaderPortAsync(), "postgres", "SELECT timeline_id FROM pg_control_checkpoint()");

    private static async Task<BackupManifest> ManifestAsync(string policy, string id)
    {
        using var repository = BackupTestbed.OpenRepository(policy);
        return await BackupCatalog.ReadManifestAsync(repository, id, CancellationToken.None);
    }

    public void Dispose() => _bed.Dispose();
}
