using System.Diagnostics;
using Npgsql;
using PgBackup.Policies;
using PgBackup.Postgres;
using PgBackup.Repository;
using PgBackup.Tests.Integration.Replication;
using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Wal;

/// <summary>
/// One test's own archive: a unique cluster name, slot and local repository directory, a policy
/// file built from the sandbox's endpoints, a write load on whichever member leads, and the
/// `pgbackup` executable. Disposing stops the load, drops the test's slots and deletes the repository.
/// </summary>
public sealed class WalSandbox : IAsyncDisposable
{
    private readonly SandboxFixture _fixture;
    private readonly string _directory;
    private CancellationTokenSource? _stopLoad;
    private Task? _load;

    public WalSandbox(SandboxFixture fixture, string name)
    {
        _fixture = fixture;
        var unique = ReplicationSandbox.UniqueName(name);
        Slot = unique;
        _directory = Path.Combine(Path.GetTempPath(), "pgbackup-wal-" + unique);
        RepositoryPath = Path.Combine(_directory, "repo");
        Directory.CreateDirectory(RepositoryPath);
        PolicyFile = Path.Combine(_directory, "policy.yaml");
        var e = fixture.Endpoints;
        File.WriteAllText(PolicyFile, $"""
            cluster: {unique.Replace('_', '-')}
            patroni:
              urls: [{string.Join(", ", e.PatroniUrls)}]
              timeout: 2s
            connection:
              user: {e.ReplicationUser}
              password_file: {Path.Combine(e.Directory, "secrets", "pgbackup-password")}
              sslmode: disable
            repository:
              type: local
              path: {RepositoryPath}
            source:
              max_lag: 64MB
            archive:
              slot_name: {Slot}
              partial_interval: 1s
            """);
        Policy = PolicyLoader.Load(PolicyFile);
    }

    public string Slot { get; }
    public string RepositoryPath { get; }
    public string PolicyFile { get; }
    public Policy Policy { get; }

    /// <summary>A fresh view of the roles: after a failover the leader is another member.</summary>
    public ReplicationSandbox Members => new(_fixture);

    public BackupRepository OpenRepository() => Policy.OpenRepository();

    /// <summary>Writes continuously on the leader (following it across failovers) until disposed.</summary>
    public void StartLoad()
    {
        var table = ReplicationSandbox.UniqueName("walload");
        _stopLoad = new CancellationTokenSource();
        var stop = _stopLoad.Token;
        _load = Task.Run(async () =>
        {
            var created = false;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var members = Members;
                    var leader = await members.LeaderPortAsync();
                    if (!created)
                    {
                        await members.ExecuteAsync(leader, $"CREATE TABLE IF NOT EXISTS {table} (v text)");
                        created = true;
                    }
                    await using var connection = await members.SqlAsync(leader);
                    while (!stop.IsCancellationRequested)
                    {
                        await using var insert = new NpgsqlCommand($"INSERT INTO {table} SELECT md5(random()::text) FROM generate_series(1, 2000)", connection);
                        await insert.ExecuteNonQueryAsync(stop);
                    }
                }
                catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException)
                {
                    await Task.Delay(500, CancellationToken.None); // failover in progress
                }
                catch (OperationCanceledException)
                {
                }
            }
        });
    }

    /// <summary>Runs `pgbackup ARGS --policy FILE` to completion.</summary>
    public Task<CliResult> RunCliAsync(params string[] args) => PgBackupCli.RunAsync([.. args, "--policy", PolicyFile]);

    /// <summary>Starts `pgbackup ARGS --policy FILE` (its output drained as it comes); the caller ends it.</summary>
    public RunningCli StartCli(params string[] args) => PgBackupCli.Start([.. args, "--policy", PolicyFile]);

    /// <summary>A segment's bytes from the leader's pg_wal, or null once the leader has recycled it.</summary>
    public async Task<byte[]?> LeaderSegmentAsync(string fileName)
    {
        var members = Members;
        var leader = await members.LeaderPortAsync();
        return await members.ScalarAsync<object>(leader, $"SELECT CASE WHEN EXISTS (SELECT FROM pg_ls_waldir() WHERE name = '{fileName}') THEN pg_read_binary_file('pg_wal/{fileName}') END") as byte[];
    }

    /// <summary>Ends the current segment on the leader, so the archiver can complete it.</summary>
    public async Task SwitchWalAsync()
    {
        var members = Members;
        await members.ExecuteAsync(await members.LeaderPortAsync(), "SELECT pg_switch_wal()");
    }

    /// <summary>The leader's timeline (of the WAL it writes, not of its last checkpoint) and its WAL position.</summary>
    public async Task<(uint Timeline, Lsn Lsn)> LeaderPositionAsync()
    {
        var members = Members;
        var position = await members.ScalarAsync<string>(await members.LeaderPortAsync(), "SELECT pg_walfile_name(pg_current_wal_lsn()) || ' ' || pg_current_wal_lsn()");
        var parts = position.Split(' ');
        return (uint.Parse(parts[0][..8], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture), Lsn.Parse(parts[1]));
    }

    /// <summary>Which members hold the test's slot.</summary>
    public async Task<IReadOnlyList<int>> PortsWithSlotAsync()
    {
        var ports = new List<int>();
        foreach (var port in _fixture.Endpoints.PgPorts)
            if (await Members.ScalarAsync<long>(port, $"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{Slot}'") > 0)
                ports.Add(port);
        return ports;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopLoad is not null)
        {
            await _stopLoad.CancelAsync();
            await _load!;
            _stopLoad.Dispose();
        }
        await Members.DropSlotEverywhereAsync(Slot);
        Directory.Delete(_directory, recursive: true);
    }
}
