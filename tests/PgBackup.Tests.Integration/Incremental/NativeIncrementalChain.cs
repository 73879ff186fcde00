using System.Text.Json;
using PgBackup.Policies;
using PgBackup.Repository.Catalog;
using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Incremental;

/// <summary>
/// One chain per test class, taken twice at the same moments: with the default policy (native
/// incrementals where the source can take them: PostgreSQL 17+ with summarize_wal on) and with
/// backup.native_incremental: off (block-level), into two repositories. full, then after a change
/// of 1% of a table's rows in one key range and a checkpoint, incr1; after another, incr2; then
/// "quiet": an incr right after incr2 with no checkpoint in between, which a standby refuses to
/// take natively (its backup would start before incr2 ended), so it must fall back and say why.
/// </summary>
public sealed class NativeIncrementalChain : IAsyncLifetime
{
    public const string Table = "native_facts";
    public const string ChecksumSql = $"SELECT md5(string_agg(id::text || ':' || a, ',' ORDER BY id)) FROM {Table}";
    private const int Rows = 300_000;

    public SandboxFixture Sandbox { get; } = new();

    /// <summary>The default policy: native incrementals where possible.</summary>
    public PolicyFile Native { get; private set; } = null!;

    /// <summary>The same cluster with backup.native_incremental: off, into its own repository.</summary>
    public PolicyFile BlockLevel { get; private set; } = null!;

    public int PgMajor => Sandbox.Endpoints.Values.TryGetValue("SANDBOX_PG_MAJOR", out var major) ? int.Parse(major, System.Globalization.CultureInfo.InvariantCulture) : 15;

    /// <summary>Backups of <see cref="Native"/> by step (full, incr1, incr2, quiet), their manifests and the stderr of taking them (--verbose).</summary>
    public Dictionary<string, BackupManifest> Backups { get; } = [];
    public Dictionary<string, string> Logs { get; } = [];

    /// <summary>Backups of <see cref="BlockLevel"/> by step (full, incr1, incr2).</summary>
    public Dictionary<string, BackupManifest> BlockLevelBackups { get; } = [];

    /// <summary>The table's checksum at each step's moment.</summary>
    public Dictionary<string, string> Checksums { get; } = [];

    private ChainSql Sql => new(Sandbox.Endpoints);

    public async Task InitializeAsync()
    {
        Sandbox.WaitHealthy();
        Native = PolicyFile.ForSandbox(Sandbox.Endpoints, compression: "client");
        Native.ShareWithGroup("postgres");
        BlockLevel = PolicyFile.ForSandbox(Sandbox.Endpoints, compression: "client");
        File.AppendAllText(BlockLevel.Path, "  native_incremental: off\n"); // backup: is the policy's last section
        // No autovacuum: a vacuum of its own between two backups would rewrite pages no update touched.
        await Sql.ExecuteAsync($"DROP TABLE IF EXISTS {Table}; CREATE TABLE {Table} WITH (autovacuum_enabled = off) AS SELECT i AS id, md5(i::text) || md5((i * 7)::text) AS a FROM generate_series(1, {Rows}) i; ALTER TABLE {Table} ADD PRIMARY KEY (id)");
        await Sql.ExecuteAsync($"VACUUM (FREEZE, ANALYZE) {Table}");
        await StepAsync("full", "full", change: null);
        await StepAsync("incr1", "incr", change: (1, Rows / 100));
        await StepAsync("incr2", "incr", change: (Rows / 2, Rows / 2 + Rows / 100));
        // No change and no checkpoint: a standby's next backup starts where incr2 started, before incr2 ended.
        Checksums["quiet"] = (await Sql.ScalarAsync(ChecksumSql))!;
        await Sql.WaitForReplicasAsync();
        (Backups["quiet"], Logs["quiet"]) = await BackupAsync(Native, "incr");
    }

    public Task DisposeAsync()
    {
        Native?.Dispose();
        BlockLevel?.Dispose();
        return Task.CompletedTask;
    }

    private async Task StepAsync(string step, string type, (int From, int To)? change)
    {
        if (change is { } rows)
            // As long as before: a shorter row would fit the few free bytes of other pages and spread the change over thousands.
            await Sql.ExecuteAsync($"UPDATE {Table} SET a = md5(a) || md5(id::text) WHERE id BETWEEN {rows.From} AND {rows.To}");
        // The checksum first: the hint bits reading the table sets are written before the checkpoint, not counted as change.
        Checksums[step] = (await Sql.ScalarAsync(ChecksumSql))!;
        // A fresh WAL segment, so the backup's own WAL is the little written since and stored sizes show the data;
        // and a checkpoint: a standby's backup starts at its last restartpoint, which must lie after the reference's end.
        await Sql.ExecuteAsync("SELECT pg_switch_wal(); CHECKPOINT");
        await Sql.WaitForReplicasAsync();
        (Backups[step], Logs[step]) = await BackupAsync(Native, type);
        (BlockLevelBackups[step], _) = await BackupAsync(BlockLevel, type);
    }

    private static async Task<(BackupManifest, string)> BackupAsync(PolicyFile policy, string type)
    {
        var run = await PgBackupCli.RunAsync(["backup", "--policy", policy.Path, "--type", type, "--json", "--verbose"], TimeSpan.FromSeconds(180));
        if (run.ExitCode != 0) throw new InvalidOperationException($"pgbackup backup --type {type} failed: {run}");
        var id = JsonDocument.Parse(run.Stdout).RootElement.GetProperty("id").GetString()!;
        using var repository = policy.Load().OpenRepository();
        return (await BackupCatalog.ReadManifestAsync(repository, id, default), run.Stderr);
    }
}
