using System.Text.Json;
using Npgsql;
using PgBackup.Policies;
using PgBackup.Repository;
using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Backup;

/// <summary>
/// What the backup tests share: the sandbox, policy files for a fresh repository per test (an S3
/// prefix or a local directory), SQL on the members, and one dataset loaded once per run.
/// </summary>
public sealed class BackupTestbed : IDisposable
{
    /// <summary>The database every backup test backs up and checks after restore.</summary>
    public const string Database = "backup_facts";

    private static readonly SemaphoreSlim DatasetLock = new(1, 1);
    private static SourceDataset? _dataset;
    private static (string Repository, string Id)? _sharedBackup;

    private readonly string _dir = Directory.CreateTempSubdirectory("pgbackup-backup-tests-").FullName;

    public BackupTestbed(SandboxFixture fixture)
    {
        Fixture = fixture;
        // Restored servers run as postgres and must reach their data directories below this one.
        File.SetUnixFileMode(_dir, (UnixFileMode)0b111_101_101);
        File.WriteAllText(PasswordFile, Endpoints.ReplicationPassword);
        File.WriteAllText(Path.Combine(_dir, "s3-access-key"), Endpoints.S3AccessKey);
        File.WriteAllText(Path.Combine(_dir, "s3-secret-key"), Endpoints.S3SecretKey);
        foreach (var secret in Directory.GetFiles(_dir))
            File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public SandboxFixture Fixture { get; }

    public SandboxEndpoints Endpoints => Fixture.Endpoints;

    /// <summary>A fresh directory under this testbed's temporary root, for a repository or a restore.</summary>
    public string NewDirectory(string name)
    {
        var path = Path.Combine(_dir, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        return path;
    }

    /// <summary>A path that does not exist yet (restore creates it).</summary>
    public string NewPath(string name) => Path.Combine(_dir, name + "-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>A policy writing to a prefix of its own in s3rver; <paramref name="s3Url"/> lets a test put a proxy in between.</summary>
    /// <param name="compression">backup.compression of the policy: "server" (the default) or "client".</param>
    /// <param name="repositoryLines">More keys of the repository: section, e.g. an encryption key.</param>
    public string S3Policy(string prefix, string? s3Url = null, string compression = "server", params string[] repositoryLines) => WritePolicy($"""
          type: s3
          s3:
            bucket: {Endpoints.S3Bucket}
            prefix: {prefix}
            endpoint: {s3Url ?? Endpoints.S3Url}
            access_key_file: {Path.Combine(_dir, "s3-access-key")}
            secret_key_file: {Path.Combine(_dir, "s3-secret-key")}
        """, compression, repositoryLines);

    /// <param name="compression">backup.compression of the policy: "server" (the default) or "client".</param>
    /// <param name="repositoryLines">More keys of the repository: section, e.g. an encryption key.</param>
    public string LocalPolicy(string repositoryDir, string compression = "server", params string[] repositoryLines) => WritePolicy($"""
          type: local
          path: {repositoryDir}
        """, compression, repositoryLines);

    public static string UniquePrefix(string name) => $"tests/{name}-{Guid.NewGuid():N}"[..Math.Min(name.Length + 20, 60)];

    /// <summary>The repository a policy names, read directly, to look at its objects.</summary>
    public static BackupRepository OpenRepository(string policyFile) => PolicyLoader.Load(policyFile).OpenRepository();

    /// <summary>Every object key of the repository under the cluster's backups/ folder.</summary>
    public static async Task<IReadOnlyList<string>> BackupObjectsAsync(string policyFile)
    {
        using var repository = OpenRepository(policyFile);
        var keys = new List<string>();
        await foreach (var o in repository.Store.ListAsync(repository.Layout.BackupsPrefix))
            keys.Add(o.Key);
        return keys;
    }

    /// <summary>`pgbackup list --json [--all]` as (id, status) pairs.</summary>
    public static async Task<IReadOnlyList<JsonElement>> ListAsync(string policyFile, bool all = false)
    {
        var result = all
            ? await PgBackupCli.RunAsync("list", "--policy", policyFile, "--all", "--json")
            : await PgBackupCli.RunAsync("list", "--policy", policyFile, "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Stdout).RootElement.EnumerateArray().ToList();
    }

    /// <summary>Member name → PostgreSQL port, and which member `pgbackup cluster` would back up from now.</summary>
    public async Task<(string Source, IReadOnlyDictionary<string, int> Ports, string Leader)> ClusterAsync(string policyFile)
    {
        var result = await PgBackupCli.RunAsync("cluster", "--policy", policyFile, "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        var members = json.GetProperty("members").EnumerateArray().ToList();
        return (json.GetProperty("source").GetString()!,
            members.ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("port").GetInt32()),
            members.Single(m => m.GetProperty("role").GetString() == "leader").GetProperty("name").GetString()!);
    }

    /// <summary>Loads the dataset once per test run (the first test to ask pays for it).</summary>
    public async Task<SourceDataset> DatasetAsync()
    {
        await DatasetLock.WaitAsync();
        try
        {
            return _dataset ??= await SourceDataset.LoadAsync(this);
        }
        finally
        {
            DatasetLock.Release();
        }
    }

    /// <summary>
    /// One complete backup in a local-directory repository, taken once per run, for tests that only
    /// read it (or damage a copy of it). Removed when the test process exits.
    /// </summary>
    public async Task<(string Repository, string Id)> SharedLocalBackupAsync()
    {
        await DatasetAsync();
        await DatasetLock.WaitAsync();
        try
        {
            if (_sharedBackup is { } taken) return taken;
            var dir = Directory.CreateTempSubdirectory("pgbackup-shared-backup-").FullName;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(dir, recursive: true);
            var backup = await PgBackupCli.RunAsync("backup", "--policy", LocalPolicy(dir), "--json");
            Assert.True(backup.ExitCode == 0, backup.ToString());
            _sharedBackup = (dir, JsonDocument.Parse(backup.Stdout).RootElement.GetProperty("id").GetString()!);
            return _sharedBackup.Value;
        }
        finally
        {
            DatasetLock.Release();
        }
    }

    /// <summary>The folder of one backup inside a local-directory repository.</summary>
    public string BackupFolder(string repositoryDir, string id) => Path.Combine(repositoryDir, Endpoints["SANDBOX_CLUSTER"], "backups", id);

    /// <summary>Polls until the server on <paramref name="port"/> is out of recovery, or the deadline passes.</summary>
    public async Task<bool> PromotedWithinAsync(int port, TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        while (DateTime.UtcNow < until)
        {
            if (!await ScalarAsync<bool>(port, "postgres", "SELECT pg_is_in_recovery()")) return true;
            await Task.Delay(200);
        }
        return false;
    }

    public async Task<int> LeaderPortAsync()
    {
        foreach (var port in Endpoints.PgPorts)
        {
            try
            {
                if (!await ScalarAsync<bool>(port, "postgres", "SELECT pg_is_in_recovery()"))
                    return port;
            }
            catch (NpgsqlException)
            {
                // a member that is down leads nothing
            }
        }
        throw new InvalidOperationException("no sandbox member is a leader");
    }

    public async Task<NpgsqlConnection> SqlAsync(int port, string database)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = Endpoints.Superuser,
            Password = Endpoints.SuperuserPassword,
            Database = database,
            Pooling = false,
            CommandTimeout = 120,
        }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async Task<T> ScalarAsync<T>(int port, string database, string sql)
    {
        await using var connection = await SqlAsync(port, database);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task ExecuteAsync(int port, string database, string sql)
    {
        await using var connection = await SqlAsync(port, database);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Waits until every running replica has replayed the leader's WAL up to now.</summary>
    public async Task WaitForReplicasAsync(TimeSpan timeout)
    {
        var leader = await LeaderPortAsync();
        var target = await ScalarAsync<string>(leader, "postgres", "SELECT pg_current_wal_lsn()::text");
        var deadline = DateTime.UtcNow + timeout;
        foreach (var port in Endpoints.PgPorts.Where(p => p != leader))
        {
            while (!await ScalarAsync<bool>(port, "postgres", $"SELECT coalesce(pg_last_wal_replay_lsn() >= '{target}'::pg_lsn, false)"))
            {
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException($"replica on port {port} did not replay up to {target} within {timeout.TotalSeconds:0}s");
                await Task.Delay(50);
            }
        }
    }

    private string PasswordFile => Path.Combine(_dir, "pgbackup-password");

    private string WritePolicy(string repository, string compression = "server", params string[] moreRepositoryLines)
    {
        repository += string.Concat(moreRepositoryLines.Select(line => "\n  " + line));
        var file = Path.Combine(_dir, $"policy-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, $"""
            cluster: {Endpoints["SANDBOX_CLUSTER"]}
            patroni:
              urls: [{string.Join(", ", Endpoints.PatroniUrls)}]
              timeout: 2s
            connection:
              user: {Endpoints.ReplicationUser}
              password_file: {PasswordFile}
              sslmode: disable
            repository:
            {repository}
            source:
              max_lag: 64MB
              allow_leader: false
            backup:
              retries: 0
              compression: {compression}

            """);
        return file;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // a restored server's files may still be settling; the temp dir is reclaimed anyway
        }
    }
}
