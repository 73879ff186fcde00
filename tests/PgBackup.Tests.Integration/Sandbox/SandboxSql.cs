using Npgsql;

namespace PgBackup.Tests.Integration.Sandbox;

/// <summary>What a member says about itself over SQL, asked as the superuser: the tests' own ground truth.</summary>
public sealed record MemberSqlState(bool Reachable, bool InRecovery, string? WalReceiverStatus, string? Error)
{
    public bool IsStreamingReplica => Reachable && InRecovery && WalReceiverStatus == "streaming";

    public override string ToString() => !Reachable ? $"unreachable ({Error})"
        : InRecovery ? $"in recovery, WAL receiver {WalReceiverStatus ?? "not running"}"
        : "not in recovery (a leader)";
}

/// <summary>Superuser SQL against sandbox members, independent of the engine under test.</summary>
public sealed class SandboxSql(SandboxEndpoints endpoints)
{
    /// <summary>An open superuser connection to a member's `postgres` database.</summary>
    public async Task<NpgsqlConnection> OpenAsync(string member)
    {
        var settings = endpoints.SuperuserConnection([endpoints.PgPortOf(member)]);
        (settings.Pooling, settings.Timeout, settings.CommandTimeout) = (false, 3, 5);
        var connection = new NpgsqlConnection(settings.ConnectionString);
        return await OpenedAsync(connection);
    }

    /// <summary>Opens <paramref name="connection"/>, disposing it if that fails, so no half-made connection leaks.</summary>
    public static async Task<NpgsqlConnection> OpenedAsync(NpgsqlConnection connection)
    {
        try
        {
            await connection.OpenAsync();
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>An open superuser connection to the current leader.</summary>
    public async Task<NpgsqlConnection> OpenLeaderAsync() => await OpenAsync(await LeaderAsync());

    public async Task<MemberSqlState> StateOfAsync(string member)
    {
        try
        {
            await using var connection = await OpenAsync(member);
            await using var command = new NpgsqlCommand("SELECT pg_is_in_recovery(), (SELECT status FROM pg_stat_wal_receiver)", connection);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            return new MemberSqlState(true, reader.GetBoolean(0), reader.IsDBNull(1) ? null : reader.GetString(1), null);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return new MemberSqlState(false, false, null, e.Message.Split('\n')[0]);
        }
    }

    /// <summary>
    /// The member that answers SQL and is not in recovery. A member may miss a connect timeout for a
    /// moment on a loaded machine (or be between roles just after a failover), so this asks again for
    /// up to 30 s before it throws, naming what each member said.
    /// </summary>
    public async Task<string> LeaderAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var states = new List<(string Member, MemberSqlState State)>();
            foreach (var member in endpoints.Members)
                states.Add((member, await StateOfAsync(member)));
            var leaders = states.Where(s => s.State is { Reachable: true, InRecovery: false }).Select(s => s.Member).ToList();
            if (leaders.Count == 1) return leaders[0];
            if (DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"expected one leader, found {leaders.Count} for 30 s: {string.Join("; ", states.Select(s => $"{s.Member} {s.State}"))}");
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }
}
