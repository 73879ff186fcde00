using PgBackup.Errors;
using PgBackup.Postgres;
using PgBackup.Postgres.Replication;
using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Replication;

[Collection(SandboxCollection.Name)]
public sealed class ReplicationConnectionFacts(SandboxFixture fixture, ITestOutputHelper output)
{
    private readonly ReplicationSandbox _sandbox = new(fixture);

    [Fact]
    public async Task Scram_user_connects_to_a_replica_and_identifies_the_system()
    {
        await using var connection = await _sandbox.OpenReplicaAsync();
        var system = await connection.IdentifySystemAsync(CancellationToken.None);

        var replica = await _sandbox.ReplicaPortAsync();
        Assert.Equal((await _sandbox.ScalarAsync<long>(replica, "SELECT system_identifier FROM pg_control_system()")).ToString(System.Globalization.CultureInfo.InvariantCulture), system.SystemId);
        // The timeline the replica receives, not its control file's: that lags until the next restartpoint after a failover.
        Assert.Equal((uint)await _sandbox.ScalarAsync<int>(replica, "SELECT received_tli FROM pg_stat_wal_receiver"), system.Timeline);
        Assert.True(system.XLogPos.IsValid);
        Assert.Null(system.DbName);
    }

    [Fact]
    public async Task Show_reads_settings_in_replication_mode()
    {
        await using var connection = await _sandbox.OpenReplicaAsync();
        Assert.Equal(16L << 20, ServerSetting.ParseBytes(await connection.ShowAsync("wal_segment_size", CancellationToken.None)));
        Assert.StartsWith("15", await connection.ShowAsync("server_version_num", CancellationToken.None));
    }

    [Fact]
    public async Task Md5_user_connects()
    {
        var leader = await _sandbox.LeaderPortAsync();
        var role = ReplicationSandbox.UniqueName("md5repl");
        await _sandbox.ExecuteAsync(leader, $"SET password_encryption = 'md5'; CREATE ROLE {role} REPLICATION LOGIN PASSWORD 'md5-secret'");
        try
        {
            Assert.StartsWith("md5", await _sandbox.ScalarAsync<string>(leader, $"SELECT rolpassword FROM pg_authid WHERE rolname = '{role}'"));
            await using var connection = await ReplicationConnection.OpenAsync(_sandbox.Settings(leader, role, "md5-secret"), CancellationToken.None);
            Assert.True((await connection.IdentifySystemAsync(CancellationToken.None)).Timeline >= 1);
        }
        finally
        {
            await _sandbox.ExecuteAsync(leader, $"DROP ROLE {role}");
        }
    }

    [Fact]
    public async Task Trust_user_connects_without_a_password()
    {
        await using var connection = await ReplicationConnection.OpenAsync(_sandbox.Settings(await _sandbox.ReplicaPortAsync(), "trustrepl", null), CancellationToken.None);
        Assert.True((await connection.IdentifySystemAsync(CancellationToken.None)).XLogPos.IsValid);
    }

    [Fact]
    public async Task Wrong_password_is_a_clear_source_unavailable_error_without_the_password()
    {
        var settings = _sandbox.Settings(await _sandbox.ReplicaPortAsync()) with { Password = "not-the-password" };
        var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => ReplicationConnection.OpenAsync(settings, CancellationToken.None));
        output.WriteLine(e.Message);
        Assert.Contains("password authentication failed", e.Message);
        Assert.DoesNotContain("not-the-password", e.Message);
        Assert.Equal("28P01", Assert.IsType<PostgresServerError>(e.InnerException).SqlState);
    }

    [Fact]
    public async Task A_port_nobody_listens_on_is_a_clear_source_unavailable_error()
    {
        var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => ReplicationConnection.OpenAsync(_sandbox.Settings(1), CancellationToken.None));
        output.WriteLine(e.Message);
        Assert.Contains("127.0.0.1:1", e.Message);
    }

    [Fact]
    public async Task A_user_without_the_replication_attribute_is_told_what_to_grant()
    {
        var leader = await _sandbox.LeaderPortAsync();
        var role = ReplicationSandbox.UniqueName("norepl");
        await _sandbox.ExecuteAsync(leader, $"CREATE ROLE {role} LOGIN PASSWORD 'plain-secret'");
        try
        {
            var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => ReplicationConnection.OpenAsync(_sandbox.Settings(leader, role, "plain-secret"), CancellationToken.None));
            output.WriteLine(e.Message);
            Assert.Contains("REPLICATION", e.Message);
        }
        finally
        {
            await _sandbox.ExecuteAsync(leader, $"DROP ROLE {role}");
        }
    }

    [Fact]
    public async Task Sslmode_prefer_connects_with_or_without_server_tls()
    {
        var replica = await _sandbox.ReplicaPortAsync();
        await using var connection = await ReplicationConnection.OpenAsync(_sandbox.Settings(replica, sslMode: SslMode.Prefer), CancellationToken.None);
        Assert.Equal(await _sandbox.ScalarAsync<string>(replica, "SHOW ssl"), await connection.ShowAsync("ssl", CancellationToken.None));
        Assert.True((await connection.IdentifySystemAsync(CancellationToken.None)).XLogPos.IsValid);
    }

    [Fact]
    public async Task Sslmode_require_uses_tls_when_the_server_has_it()
    {
        var replica = await _sandbox.ReplicaPortAsync();
        Assert.Equal("on", await _sandbox.ScalarAsync<string>(replica, "SHOW ssl")); // the sandbox serves TLS (scripts/sandbox.sh)
        await using var connection = await ReplicationConnection.OpenAsync(_sandbox.Settings(replica, sslMode: SslMode.Require), CancellationToken.None);
        var encrypted = await _sandbox.ScalarAsync<bool>(replica,
            "SELECT bool_or(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'pgbackup-tests' AND a.backend_type = 'walsender'");
        Assert.True(encrypted);
    }
}
