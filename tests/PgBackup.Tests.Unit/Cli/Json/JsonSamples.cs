using PgBackup.Cli.Serve.Archiver;
using PgBackup.Cli.Serve.Policies;
using PgBackup.Cli.Serve.Status;
using PgBackup.Cluster;
using PgBackup.Drill;
using PgBackup.Policies;
using PgBackup.Postgres;
using PgBackup.Repository.Catalog;
using PgBackup.Verify;
using PgBackup.Wal;

namespace PgBackup.Tests.Unit.Cli.Json;

/// <summary>
/// The engine's results as the JSON documents see them, filled in everywhere (and with characters
/// the encoder escapes, such as '&gt;' and 'ü'), so a pinned document shows every property it can carry.
/// </summary>
internal static class JsonSamples
{
    public static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    public static Policy Policy { get; } = PolicyLoader.Parse("/etc/pgbackup/policies/main.yaml", Policies.PolicyLoaderFacts.Minimal);

    public static SourceDecision Decision()
    {
        var leader = new ClusterMember("m1", "leader", "running", "10.0.0.1", 5432, 2, null, new Dictionary<string, string>(), "http://10.0.0.1:8008/patroni");
        var chosen = new ClusterMember("m2", "replica", "streaming", "10.0.0.2", 5432, 2, 0, new Dictionary<string, string> { ["zone"] = "b" }, null);
        var passed = new ClusterMember("m3", "sync_standby", "running", null, null, null, 20 << 20, new Dictionary<string, string> { ["nobackup"] = "true" }, null);
        var probe = new ProbeResult(true, "0/3000148", "0/3000148", Now.AddSeconds(-1), "streaming", 0, 0.5, "0/3000148");
        return new SourceDecision(new ClusterState([leader, chosen, passed], false, new Uri("http://10.0.0.1:8008")),
            [
                new MemberVerdict(leader, null, false, "passed over: the leader (allow_leader is false)"),
                new MemberVerdict(chosen, probe, true, "chosen: lag 0 B < max_lag 16.0 MiB"),
                new MemberVerdict(passed, null, false, "passed over: tag nobackup; Grüße & 'quotes'"),
            ],
            ["m3: lag unknown"]);
    }

    public static WalCheckReport Check() => new(
        1, Lsn.Parse("0/2000028"), "the oldest backup's start", 2, Lsn.Parse("0/5000000"), [2],
        [new WalGap(new WalSegmentName(1, 3), new WalSegmentName(1, 4))],
        "0/5000100", 256, 1.5, "m2",
        [new MemberSlot("m2", "pgbackup_main", true, "0/4000000", "reserved", "0/5000000", 0.2)],
        [new MemberSlot("m3", "pgbackup_main", false, "0/1000000", "extended", null, null)],
        [new WalProblem(WalProblemKind.MissingWal, "WAL 000000010000000000000003 to 000000010000000000000004 is missing")]);

    public static BackupManifest Manifest(string id, DateTimeOffset start, BackupType type = BackupType.Full, string? reference = null) => new()
    {
        Id = id, Type = type, Reference = reference, Cluster = "main", SystemIdentifier = "7301234567890123456", ServerVersionNum = 150018, ToolVersion = "0.1.0",
        Source = new BackupSource("m2", "10.0.0.2", 5432), StartTime = start, EndTime = start.AddSeconds(80),
        StartLsn = Lsn.Parse("0/2000028"), EndLsn = Lsn.Parse("0/2000100"), Timeline = 2, WalSegmentSize = WalSegmentSize.Default,
        Format = "client-chunks", Compression = "zstd", CompressionLevel = 3, ChunkSize = 4 << 20, DatabaseSize = 40_000_000, StoredSize = 8_000_000,
        Tablespaces = [new BackupTablespace(16384, "/srv/ts")], Files = [],
        Wal = [new EncodedObject($"backups/{id}/wal/000000020000000000000002.zst", 900, "00")],
        PostgresManifest = new EncodedObject("backup_manifest.zst", 900, "00"),
        Packs = reference is null ? [] : [new StoredObject("data/000001.pack", 1000, new string('a', 64), reference)],
    };

    public static IReadOnlyList<BackupEntry> Entries() =>
    [
        new("20261127T100000Z", BackupStatus.Complete, Manifest("20261127T100000Z", Now.AddHours(-2)), 8_100_000, Now.AddHours(-2)),
        new("20261127T110000Z", BackupStatus.Complete, Manifest("20261127T110000Z", Now.AddHours(-1), BackupType.Incr, "20261127T100000Z"), 100_000, Now.AddHours(-1)),
        new("20261127T115000Z", BackupStatus.Running, null, 5_000, Now),
        new("20261127T090000Z", BackupStatus.Dead, null, 7_000, Now.AddHours(-3)),
    ];

    public static VerifyOutcome Verify() => new(
        new RepositoryReport(2, 0, 1, 1, 1, 4096, TimeSpan.FromSeconds(0.25), [], ["drills/20261120T000000Z.json"]),
        [new VerifyReport("20261127T100000Z", 2, 1200, 1, 3, "0/5000000", 9_000_000, TimeSpan.FromSeconds(2.5),
            [new VerifyFault("data/000001.pack", "checksum mismatch")], [])]);

    public static DrillReport Drill() => new("main", "20261127T100000Z", Now.AddHours(-2), Now.AddMinutes(-5), Now, true, "immediate", "0/5000000", "0/2000100", 2,
        12.5, 3.25, 15.75, 40_000_000, 2, [new DrillDatabase("postgres", 300, 70, 8_000_000)], [new DrillCheck("start", true, "accepted connections after 3.2s")], null, null);

    public static ArchiverStatus Archiver() => new("streaming", "m2", 128, 0.5, "000000020000000000000004", Now.AddSeconds(-1), null, Now,
        "chosen: async replica, lag 0 B", null, "SQL probe of 127.0.0.1:15432 as pgbackup failed: connection refused", Now.AddMinutes(-3), "backup-1:4242");

    public static IReadOnlyList<ClusterStatus> Statuses() =>
    [
        ClusterStatus.From("main", Entries(), Archiver(), Now),
        ClusterStatus.Unreadable("other", null, "cannot read s3://b/other: access denied"),
    ];

    public static IReadOnlyList<PolicyError> PolicyErrors() => [new PolicyError("/etc/pgbackup/policies/bad.yaml", "bad.yaml:1: cluster: required")];
}
