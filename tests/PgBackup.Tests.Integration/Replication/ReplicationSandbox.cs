using Npgsql;
using PgBackup.Postgres.Replication;
using PgBackup.Tests.Integration.Sandbox;
using SslMode = PgBackup.Postgres.Replication.SslMode;

namespace PgBackup.Tests.Integration.Replication;

/// <summary>
/// The sandbox as replication tests see it: which port is the leader and which a replica (asked
/// of PostgreSQL itself with pg_is_in_recovery(), not of Patroni), and settings to reach them.
/// </summary>
public sealed class ReplicationSandbox(SandboxFixture fixture)
{
    private (int Leader, int Replica)? _roles;

    public SandboxEndpoints Endpoints => fixture.Endpoints;

    public async Task<int> LeaderPortAsync() => (await RolesAsync()).Leader;

    public async Task<int> ReplicaPortAsync() => (await RolesAsync()).Replica;

    public ReplicationConnectionSettings Settings(int port, string? user = null, string? password = null, SslMode sslMode = SslMode.Disable) => new()
    {
        Host = "127.0.0.1",
        Port = port,
        User = user ?? Endpoints.ReplicationUser,
        Password = user is null ? Endpoints.ReplicationPassword : password,
        ApplicationName = "pgbackup-tests",
        SslMode = sslMode,
    };

    public async Task<ReplicationConnection> OpenReplicaAsync() =>
        await ReplicationConnection.OpenAsync(Settings(await ReplicaPortAsync()), CancellationToken.None);

    /// <summary>An ordinary SQL connection as the superuser.</summary>
    public async Task<NpgsqlConnection> SqlAsync(int port)
    {
        var settings = Endpoints.SuperuserConnection([port]);
        settings.Pooling = false;
        var connection = new NpgsqlConnection(settings.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async Task<T> ScalarAsync<T>(int port, string sql)
    {
        await using var connection = await SqlAsync(port);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task ExecuteAsync(int port, string sql)
    {
        await using var connection = await SqlAsync(port);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Drops an archiver's slot on every member that is up, so it holds no WAL after the test; a
    /// walsender may take a moment to let go of it after its archiver stopped.
    /// </summary>
    public async Task DropSlotEverywhereAsync(string slot)
    {
        foreach (var port in Endpoints.PgPorts)
        {
            try
            {
                for (var attempt = 0; attempt < 50; attempt++)
                {
                    if (await ScalarAsync<long>(port, $"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}'") == 0) break;
                    await ExecuteAsync(port, $"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '{slot}' AND NOT active");
                    await Task.Delay(200);
                }
            }
            catch (NpgsqlException)
            {
                // a member that is down has nothing we can drop now
            }
        }
    }

    /// <summary>
    /// Timelines above 1 have history files and ends: a test about them switches over first when the
    /// cluster is still on timeline 1 (test order is not fixed), so it always tests something.
    /// </summary>
    public async Task EnsureTimelineAboveOneAsync()
    {
        if (await ScalarAsync<int>(await LeaderPortAsync(), "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int") > 1) return;
        fixture.Sandbox("switchover");
        await ExecuteAsync(await LeaderPortAsync(), "CHECKPOINT");
    }

    public static string UniqueName(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 63)];

    private async Task<(int Leader, int Replica)> RolesAsync()
    {
        if (_roles is { } known)
            return known;
        int? leader = null, replica = null;
        foreach (var port in Endpoints.PgPorts)
        {
            try
            {
                if (await ScalarAsync<bool>(port, "SELECT pg_is_in_recovery()"))
                    replica ??= port;
                else
                    leader ??= port;
            }
            catch (NpgsqlException)
            {
                // a member that is down is neither
            }
        }
        _roles = (leader ?? throw new InvalidOperationException("no sandbox member is a leader"),
                  replica ?? throw new InvalidOperationException("no sandbox member is a replica"));
        return _roles.Value;
    }
}
