using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using PgBackup.Postgres;
using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Restore;

/// <summary>
/// The history every restore test recovers into, built once per test class (a failover takes
/// time): with the archiver running as a child process, marker rows committed before a base
/// backup (1), after it (2, 3), and after a failover on the new timeline (4 to 8, then 9 after a
/// segment switch, so only the archiver's partial segment holds it). Commit times, the xid of
/// marker 5, the LSN of marker 6's commit record and a restore point between 6 and 7 are taken
/// from the server, never from the test's clock. The archiver is stopped once it holds everything.
/// </summary>
public sealed partial class RestoreHistory : IAsyncLifetime
{
    public const string Table = "restore_markers";
    /// <summary>Unique per run: the sandbox's WAL keeps earlier runs' restore points, and PostgreSQL stops at the first one of a name.</summary>
    public static readonly string RestorePoint = "restore_markers_" + Guid.NewGuid().ToString("N")[..8];
    public const int LastMarker = 9;

    private readonly Dictionary<int, DateTimeOffset> _commitTimes = [];

    public SandboxFixture Sandbox { get; } = new();

    public PolicyFile Policy { get; private set; } = null!;

    public string BackupId { get; private set; } = "";

    /// <summary>The WAL segment files the backup carries itself (start to end LSN).</summary>
    public IReadOnlySet<string> BackupWalFiles { get; private set; } = new HashSet<string>();

    public uint TimelineBeforeFailover { get; private set; }

    public uint TimelineAfterFailover { get; private set; }

    public IReadOnlyDictionary<int, DateTimeOffset> CommitTimes => _commitTimes;

    /// <summary>The transaction that committed marker 5.</summary>
    public long XidOfMarker5 { get; private set; }

    /// <summary>Where marker 6's commit record starts: recovery_target_lsn stops after it, or (exclusive) just before it.</summary>
    public Lsn CommitLsnOfMarker6 { get; private set; }

    /// <summary>Where marker 9's commit record starts: in the segment only the archiver's partial holds.</summary>
    public Lsn CommitLsnOfMarker9 { get; private set; }

    public string ArchiverOutput { get; private set; } = "";

    private SandboxSql Sql => new(Sandbox.Endpoints);

    public async Task InitializeAsync()
    {
        Sandbox.WaitHealthy();
        // Client-side chunks: the --delta facts need per-file chunks (server-compressed backups are covered by the backup facts).
        Policy = PolicyFile.ForSandbox(Sandbox.Endpoints, compression: "client");
        Policy.ShareWithGroup("postgres");
        var archiver = ArchiverProcess.Start(Policy);
        try
        {
            await using (var leader = await Sql.OpenLeaderAsync())
                await ExecuteOnLeaderAsync($"DROP TABLE IF EXISTS {Table}; CREATE TABLE {Table} (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp()); {CommitRecord.Prepare(leader)}");
            await CommitMarkerAsync(1);

            var backup = await PgBackupCli.RunAsync(["backup", "--policy", Policy.Path], TimeSpan.FromSeconds(120));
            if (backup.ExitCode != 0) throw new InvalidOperationException("pgbackup backup failed: " + backup);
            ReadBackup(backup.Stdout);

            await CommitMarkerAsync(2);
            await CommitMarkerAsync(3);
            // Everything committed on the old leader must be archived (so on a replica) before it is killed.
            var (timeline, lsn) = await LeaderPositionAsync();
            TimelineBeforeFailover = timeline;
            await archiver.WaitArchivedAsync(timeline, lsn, TimeSpan.FromSeconds(60));

            Sandbox.Sandbox("failover");
            (TimelineAfterFailover, _) = await LeaderPositionAsync();
            if (TimelineAfterFailover <= TimelineBeforeFailover)
                throw new InvalidOperationException($"the failover left the leader on timeline {TimelineAfterFailover}");

            await CommitMarkerAsync(4);
            XidOfMarker5 = (await CommitMarkerAsync(5)).Xid;
            CommitLsnOfMarker6 = (await CommitMarkerAsync(6)).CommitLsn;
            await ExecuteOnLeaderAsync($"SELECT pg_create_restore_point('{RestorePoint}')");
            await CommitMarkerAsync(7);
            await CommitMarkerAsync(8);
            // Completes the segment holding markers 4 to 8; marker 9 then lives only in the partial one.
            await ExecuteOnLeaderAsync("SELECT pg_switch_wal()");
            CommitLsnOfMarker9 = (await CommitMarkerAsync(9)).CommitLsn;
            (timeline, lsn) = await LeaderPositionAsync();
            await archiver.WaitArchivedAsync(timeline, lsn, TimeSpan.FromSeconds(90));
        }
        finally
        {
            await archiver.DisposeAsync();
            ArchiverOutput = archiver.Output;
        }
    }

    public Task DisposeAsync()
    {
        Policy?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>ISO 8601 in UTC with microseconds, as an operator would paste it.</summary>
    public static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Halfway between the commits of markers <paramref name="a"/> and <paramref name="b"/>.</summary>
    public string Between(int a, int b) => Iso(_commitTimes[a] + (_commitTimes[b] - _commitTimes[a]) / 2);

    /// <summary>Commits one marker in its own transaction; returns its xid and where its commit record starts.</summary>
    private async Task<(long Xid, Lsn CommitLsn)> CommitMarkerAsync(int id)
    {
        // Commit times a few tens of milliseconds apart: targets between them are unambiguous.
        await Task.Delay(50);
        await using var connection = await Sql.OpenLeaderAsync();
        var before = Lsn.Parse((await ScalarAsync(connection, "SELECT pg_current_wal_insert_lsn()::text"))!);
        long xid;
        await using (var tx = await connection.BeginTransactionAsync())
        {
            await using (var insert = new NpgsqlCommand($"INSERT INTO {Table} (id) VALUES ({id})", connection, tx))
                await insert.ExecuteNonQueryAsync();
            xid = long.Parse((await ScalarAsync(connection, "SELECT txid_current()::text", tx))!, CultureInfo.InvariantCulture);
            await tx.CommitAsync();
        }
        _commitTimes[id] = DateTime.SpecifyKind((DateTime)(await ScalarObjectAsync(connection, $"SELECT pg_xact_commit_timestamp(xmin) FROM {Table} WHERE id = {id}"))!, DateTimeKind.Utc);
        // The commit record of exactly this transaction, read back from the WAL itself.
        var commitLsn = await CommitRecord.StartAsync(connection, before, xid, Sandbox.Endpoints.PgBin)
            ?? throw new InvalidOperationException($"no commit record of transaction {xid} (marker {id}) after {before}");
        return (xid, commitLsn);
    }

    private async Task<(uint Timeline, Lsn Lsn)> LeaderPositionAsync()
    {
        await using var connection = await Sql.OpenLeaderAsync();
        var lsn = Lsn.Parse((await ScalarAsync(connection, "SELECT pg_current_wal_lsn()::text"))!);
        var walFile = (await ScalarAsync(connection, "SELECT pg_walfile_name(pg_current_wal_lsn())"))!;
        return (uint.Parse(walFile[..8], NumberStyles.HexNumber, CultureInfo.InvariantCulture), lsn);
    }

    private async Task ExecuteOnLeaderAsync(string sql)
    {
        await using var connection = await Sql.OpenLeaderAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string?> ScalarAsync(NpgsqlConnection connection, string sql, NpgsqlTransaction? tx = null) =>
        (await ScalarObjectAsync(connection, sql, tx))?.ToString();

    private static async Task<object?> ScalarObjectAsync(NpgsqlConnection connection, string sql, NpgsqlTransaction? tx = null)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull ? null : value;
    }

    /// <summary>"backup ID complete: ..., LSN A to B, timeline T" — the backup's id and the WAL files it carries.</summary>
    private void ReadBackup(string stdout)
    {
        var m = BackupLine().Match(stdout);
        if (!m.Success) throw new InvalidOperationException("unexpected backup output: " + stdout);
        BackupId = m.Groups[1].Value;
        var (from, to, timeline) = (Lsn.Parse(m.Groups[2].Value), Lsn.Parse(m.Groups[3].Value), uint.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture));
        const ulong segmentSize = 16 << 20;
        var files = new HashSet<string>(StringComparer.Ordinal);
        for (var n = from.Value / segmentSize; n <= to.Value / segmentSize; n++)
            files.Add($"{timeline:X8}{n / 0x100:X8}{n % 0x100:X8}");
        BackupWalFiles = files;
    }

    [GeneratedRegex(@"backup (\S+) (?:\(\w+\) )?complete: .* LSN ([0-9A-F]+/[0-9A-F]+) to ([0-9A-F]+/[0-9A-F]+), timeline (\d+)")]
    private static partial Regex BackupLine();
}
