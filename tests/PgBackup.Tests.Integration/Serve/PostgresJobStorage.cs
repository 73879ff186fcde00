using Npgsql;
using PgBackup.Tests.Integration.Replication;
using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Serve;

/// <summary>
/// A Hangfire PostgreSQL job storage for `serve` instances under test: a fresh database on the
/// sandbox's leader, its connection string in a 0600 file for `--storage postgres:file:`, dropped
/// again on dispose.
/// </summary>
public sealed class PostgresJobStorage : IAsyncDisposable
{
    private readonly ReplicationSandbox _members;

    private PostgresJobStorage(ReplicationSandbox members, string database, string connectionString, string file)
    {
        _members = members;
        Database = database;
        ConnectionString = connectionString;
        StorageArgument = "postgres:file:" + file;
    }

    public string Database { get; }
    public string ConnectionString { get; }

    /// <summary>The value of `serve --storage`.</summary>
    public string StorageArgument { get; }

    public static async Task<PostgresJobStorage> CreateAsync(SandboxFixture fixture, ServePolicies policies)
    {
        var members = new ReplicationSandbox(fixture);
        var leader = await members.LeaderPortAsync();
        var database = ReplicationSandbox.UniqueName("hangfire");
        await members.ExecuteAsync(leader, $"CREATE DATABASE {database}");
        var connectionString = fixture.Endpoints.SuperuserConnection([leader], database).ConnectionString;
        var file = Path.Combine(policies.Root, "storage");
        File.WriteAllText(file, connectionString);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return new PostgresJobStorage(members, database, connectionString, file);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await _members.ExecuteAsync(await _members.LeaderPortAsync(), $"DROP DATABASE IF EXISTS {Database} WITH (FORCE)");
    }
}
