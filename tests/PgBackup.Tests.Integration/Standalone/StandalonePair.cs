using System.Globalization;
using Npgsql;
using PgBackup.Postgres;
using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Standalone;

/// <summary>The trait of the facts scripts/test.sh runs against scripts/sandbox/standalone.sh (13, 14, 16): `--filter Standalone=true`.</summary>
public static class StandaloneTrait
{
    public const string Name = "Standalone";
    public const string Yes = "true";
}

/// <summary>
/// The primary m1 and streaming standby m2 that scripts/sandbox/standalone.sh runs without Patroni,
/// as the tests drive them: marker rows committed on whichever member leads, its WAL position, and
/// the script's promote and up/down. Superuser SQL goes through <see cref="SandboxSql"/>.
/// </summary>
public sealed class StandalonePair
{
    public StandalonePair()
    {
        Endpoints = SandboxEndpoints.Load();
        if (Endpoints.Values.GetValueOrDefault("SANDBOX_KIND") != "standalone")
            throw new InvalidOperationException($"{Endpoints.Directory}/endpoints.env is not a standalone sandbox: start one with scripts/sandbox/standalone.sh up --pg 14");
    }

    public SandboxEndpoints Endpoints { get; private set; }

    public int Major => int.Parse(Endpoints["SANDBOX_PG_MAJOR"], CultureInfo.InvariantCulture);

    public SandboxSql Sql => new(Endpoints);

    /// <summary>Commits marker <paramref name="id"/> into <paramref name="table"/> on the leader in its own transaction; returns its commit time as the server recorded it.</summary>
    public async Task<DateTimeOffset> CommitMarkerAsync(string table, int id)
    {
        await Task.Delay(50); // commits tens of milliseconds apart: a time between two is unambiguous
        await using var connection = await Sql.OpenLeaderAsync();
        await using (var insert = new NpgsqlCommand($"INSERT INTO {table} (id) VALUES ({id})", connection))
            await insert.ExecuteNonQueryAsync();
        await using var committed = new NpgsqlCommand($"SELECT pg_xact_commit_timestamp(xmin) FROM {table} WHERE id = {id}", connection);
        return new DateTimeOffset(DateTime.SpecifyKind((DateTime)(await committed.ExecuteScalarAsync())!, DateTimeKind.Utc));
    }

    public async Task<string> ScalarOnLeaderAsync(string sql)
    {
        await using var connection = await Sql.OpenLeaderAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (await command.ExecuteScalarAsync())?.ToString() ?? throw new InvalidOperationException($"{sql} returned nothing");
    }

    public async Task ExecuteOnLeaderAsync(string sql)
    {
        await using var connection = await Sql.OpenLeaderAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The leader's timeline (from its current WAL file's name) and insert position.</summary>
    public async Task<(uint Timeline, Lsn Lsn)> LeaderPositionAsync()
    {
        await using var connection = await Sql.OpenLeaderAsync();
        await using var command = new NpgsqlCommand("SELECT pg_walfile_name(pg_current_wal_lsn()), pg_current_wal_lsn()::text", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (uint.Parse(reader.GetString(0)[..8], NumberStyles.HexNumber, CultureInfo.InvariantCulture), Lsn.Parse(reader.GetString(1)));
    }

    /// <summary>Stops one member (fast shutdown); the stand-in shows it stopped.</summary>
    public void Stop(string member) => Script("stop", member);

    /// <summary>Stops m1 and promotes m2 onto a new timeline.</summary>
    public void Promote() => Script("promote");

    /// <summary>A fresh pair of the same major (after a promote there is no standby left to back up from).</summary>
    public void Recreate()
    {
        var major = Major.ToString(CultureInfo.InvariantCulture);
        Script("down");
        Script("up", "--pg", major);
        Endpoints = SandboxEndpoints.Load();
    }

    private void Script(params string[] args) => SandboxFixture.RunScript(Endpoints, Path.Combine("scripts", "sandbox", "standalone.sh"), args);
}

[CollectionDefinition(Name)]
public sealed class StandaloneCollection : ICollectionFixture<StandalonePair>
{
    public const string Name = "standalone";
}
