using Npgsql;
using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Incremental;

/// <summary>What a chain fixture asks of the sandbox: statements on the leader, and waiting until every replica replayed them.</summary>
public sealed class ChainSql(SandboxEndpoints endpoints)
{
    private SandboxSql Sql => new(endpoints);

    /// <summary>Waits until every replica replayed everything the leader wrote so far, so any of them can serve the next backup.</summary>
    public async Task WaitForReplicasAsync()
    {
        var target = await ScalarAsync("SELECT pg_current_wal_lsn()::text");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        foreach (var member in endpoints.Members)
        {
            await using var connection = await Sql.OpenAsync(member);
            while (true)
            {
                await using var command = new NpgsqlCommand($"SELECT NOT pg_is_in_recovery() OR coalesce(pg_last_wal_replay_lsn() >= '{target}'::pg_lsn, false)", connection);
                if ((bool)(await command.ExecuteScalarAsync())!) break;
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"{member} did not replay up to {target}");
                await Task.Delay(50);
            }
        }
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = await Sql.OpenLeaderAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 120 };
        await command.ExecuteNonQueryAsync();
    }

    public async Task<string?> ScalarAsync(string sql)
    {
        await using var connection = await Sql.OpenLeaderAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 120 };
        return (await command.ExecuteScalarAsync())?.ToString();
    }
}
