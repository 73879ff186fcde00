using System.Text.Json;
using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Incremental;

/// <summary>
/// One chain built once per test class, with the archiver running: a full backup, an incr of the
/// unchanged database, then after each change of 1% of a table's rows in one key range an incr,
/// an incr and a diff. Each backup's moment is the table's checksum taken once the replicas had
/// replayed everything before it; a point in time between the two changed incrementals is
/// recorded with the checksum at that moment.
/// </summary>
public sealed class IncrementalChain : IAsyncLifetime
{
    public const string Table = "incr_facts";
    private const int Rows = 300_000;

    private readonly Dictionary<string, string> _checksums = [];

    public SandboxFixture Sandbox { get; } = new();

    public PolicyFile Policy { get; private set; } = null!;

    /// <summary>Backup ids by step: full, unchanged, incr1, incr2, diff.</summary>
    public Dictionary<string, string> Ids { get; } = [];

    /// <summary>The table's checksum at each backup's moment (by step) and at "between" (the point-in-time target).</summary>
    public IReadOnlyDictionary<string, string> Checksums => _checksums;

    /// <summary>A time after the change that <see cref="Checksums"/>["between"] shows and before the next one.</summary>
    public string BetweenIncrementals { get; private set; } = "";

    private ChainSql Sql => new(Sandbox.Endpoints);

    public async Task InitializeAsync()
    {
        Sandbox.WaitHealthy();
        Policy = PolicyFile.ForSandbox(Sandbox.Endpoints, compression: "client");
        Policy.ShareWithGroup("postgres");
        var archiver = ArchiverProcess.Start(Policy);
        try
        {
            await ExecuteAsync($"DROP TABLE IF EXISTS {Table}; CREATE TABLE {Table} AS SELECT i AS id, md5(i::text) || md5((i * 7)::text) AS a FROM generate_series(1, {Rows}) i; ALTER TABLE {Table} ADD PRIMARY KEY (id)");
            // Frozen and hinted now (setting hint bits later would rewrite every page), then a fresh
            // segment: the backups' own WAL is the little written since, so stored sizes show the data.
            await ExecuteAsync($"VACUUM (FREEZE, ANALYZE) {Table}");
            await ChecksumAsync();
            await ExecuteAsync("SELECT pg_switch_wal(); CHECKPOINT");
            await BackupAsync("full", "full");
            await BackupAsync("unchanged", "incr");
            await ChangeAsync(1, Rows / 100);
            await BackupAsync("incr1", "incr");
            await ChangeAsync(Rows / 3, Rows / 3 + 100);
            _checksums["between"] = await ChecksumAsync();
            BetweenIncrementals = (await ScalarAsync("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"))!;
            await Task.Delay(200);
            await ChangeAsync(Rows / 2, Rows / 2 + Rows / 100);
            await BackupAsync("incr2", "incr");
            await ChangeAsync(Rows - Rows / 100, Rows);
            await BackupAsync("diff", "diff");
            // The point in time between the incrementals replays from the archive.
            var timeline = uint.Parse((await ScalarAsync("SELECT timeline_id::text FROM pg_control_checkpoint()"))!, System.Globalization.CultureInfo.InvariantCulture);
            await archiver.WaitArchivedAsync(timeline, PgBackup.Postgres.Lsn.Parse((await ScalarAsync("SELECT pg_current_wal_lsn()::text"))!), TimeSpan.FromSeconds(90));
        }
        finally
        {
            await archiver.DisposeAsync();
        }
    }

    public Task DisposeAsync()
    {
        Policy?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>The table's content as one checksum, on the leader or on a restored server.</summary>
    public const string ChecksumSql = $"SELECT md5(string_agg(id::text || ':' || a, ',' ORDER BY id)) FROM {Table}";

    /// <summary>Rewrites rows <paramref name="from"/> to <paramref name="to"/> (one contiguous key range).</summary>
    private Task ChangeAsync(int from, int to) => ExecuteAsync($"UPDATE {Table} SET a = md5(a) WHERE id BETWEEN {from} AND {to}");

    private async Task BackupAsync(string step, string type)
    {
        // The checksum first: whatever reading the table writes reaches the source before the backup.
        _checksums[step] = await ChecksumAsync();
        await WaitForReplicasAsync();
        var run = await PgBackupCli.RunAsync(["backup", "--policy", Policy.Path, "--type", type, "--json"], TimeSpan.FromSeconds(180));
        if (run.ExitCode != 0) throw new InvalidOperationException($"pgbackup backup --type {type} failed: {run}");
        Ids[step] = JsonDocument.Parse(run.Stdout).RootElement.GetProperty("id").GetString()!;
    }

    private async Task<string> ChecksumAsync() => (await ScalarAsync(ChecksumSql))!;

    private Task WaitForReplicasAsync() => Sql.WaitForReplicasAsync();

    private Task ExecuteAsync(string sql) => Sql.ExecuteAsync(sql);

    private Task<string?> ScalarAsync(string sql) => Sql.ScalarAsync(sql);
}
