using System.Net.Http.Json;
using PgBackup.Policies;
using PgBackup.Tests.Integration.Backup;
using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Restore;

/// <summary>
/// Patroni builds a replica from the repository: the sandbox's members have `pgbackup
/// create-replica` (with the sandbox's own policy) first in create_replica_methods, basebackup after it.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class CreateReplicaFacts(SandboxFixture fixture, ITestOutputHelper output)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task A_reinitialized_replica_is_built_from_the_newest_backup_and_streams_the_leaders_later_writes()
    {
        var e = fixture.Endpoints;
        fixture.WaitHealthy();
        try
        {
            var backup = await PgBackupCli.RunAsync("backup", "--policy", e.PolicyPath);
            Assert.True(backup.ExitCode == 0, backup.ToString());
            var id = (await BackupTestbed.ListAsync(e.PolicyPath))[^1].GetProperty("id").GetString()!;

            // Written after the backup: the new member has it only if it streams from the leader.
            var marker = Guid.NewGuid().ToString("N");
            var sql = new SandboxSql(e);
            await using (var leader = await sql.OpenLeaderAsync())
                await new Npgsql.NpgsqlCommand($"CREATE TABLE IF NOT EXISTS create_replica_probe (v text); INSERT INTO create_replica_probe VALUES ('{marker}')", leader).ExecuteNonQueryAsync();

            var leaderName = await sql.LeaderAsync();
            var member = e.Members.First(m => m != leaderName);
            var url = e.PatroniUrls[e.Members.ToList().IndexOf(member)];
            using (var reinit = await Http.PostAsJsonAsync($"{url}/reinitialize", new { force = true }))
                Assert.True(reinit.IsSuccessStatusCode, $"POST {url}/reinitialize: {(int)reinit.StatusCode} {await reinit.Content.ReadAsStringAsync()}");
            output.WriteLine($"reinitializing {member} after backup {id}");

            var autoConf = Path.Combine(e.RunDirectory, member, "data", "postgresql.auto.conf");
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(180);
            while (true)
            {
                var builtFromBackup = File.Exists(autoConf) && File.ReadAllText(autoConf).Contains($"pgbackup restore of backup {id}", StringComparison.Ordinal);
                var state = await sql.StateOfAsync(member);
                if (builtFromBackup && state.IsStreamingReplica && await HasMarkerAsync(sql, member, marker))
                    break;
                if (DateTime.UtcNow > deadline)
                    throw new Xunit.Sdk.XunitException($"{member} not rebuilt from backup {id} and streaming within 180 s: built from the backup {builtFromBackup}, SQL {state}\n{LogTail(e, member)}");
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
            // The WAL the restore fetched was handed to pg_wal: no spool is left for a restore_command Patroni replaced.
            Assert.False(Directory.Exists(Path.Combine(e.RunDirectory, member, "data", "pg_wal", "pgbackup-spool")));
            Assert.True(File.Exists(Path.Combine(e.RunDirectory, member, "data", "standby.signal")));
        }
        finally
        {
            // Later reinitializations in the suite (failover facts) go back to basebackup from the leader.
            await EmptyRepositoryAsync(e.PolicyPath);
            fixture.WaitHealthy();
        }
    }

    private static async Task<bool> HasMarkerAsync(SandboxSql sql, string member, string marker)
    {
        try
        {
            await using var connection = await sql.OpenAsync(member);
            var found = await new Npgsql.NpgsqlCommand($"SELECT count(*) FROM create_replica_probe WHERE v = '{marker}'", connection).ExecuteScalarAsync();
            return Convert.ToInt64(found, System.Globalization.CultureInfo.InvariantCulture) == 1;
        }
        catch (Npgsql.PostgresException)
        {
            return false; // the table has not been replayed yet
        }
    }

    private static async Task EmptyRepositoryAsync(string policyPath)
    {
        using var repository = PolicyLoader.Load(policyPath).OpenRepository();
        var keys = new List<string>();
        await foreach (var o in repository.Store.ListAsync(""))
            keys.Add(o.Key);
        await repository.Store.DeleteManyAsync(keys);
    }

    private static string LogTail(SandboxEndpoints e, string member)
    {
        var log = Path.Combine(e.Directory, "logs", $"patroni-{member}.log");
        return File.Exists(log) ? $"--- {log}\n" + string.Join('\n', File.ReadLines(log).TakeLast(40)) : $"({log} absent)";
    }
}
