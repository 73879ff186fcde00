using PgBackup.Postgres.Replication;
using PgBackup.Repository.Catalog;
using PgBackup.Repository.Codecs;

namespace PgBackup.Policies;

/// <summary>One cluster's backup policy, as loaded and validated from a YAML file.</summary>
public sealed record Policy(
    string Cluster,
    string SourceFile,
    PatroniSettings Patroni,
    ConnectionSettings Connection,
    RepositorySettings Repository,
    SourceRules Source,
    BackupSettings Backup,
    ArchiveSettings Archive,
    ScheduleSettings Schedules,
    RetentionSettings Retention);

/// <summary>Where the cluster API lives; the first URL that answers is used.</summary>
public sealed record PatroniSettings(
    IReadOnlyList<Uri> Urls,
    string? Username,
    Secret? Password,
    string? CaFile,
    TimeSpan Timeout);

/// <summary>How PgBackup connects to members, for replication and for SQL probes.</summary>
public sealed record ConnectionSettings(
    string User,
    Secret? Password,
    string Database,
    SslMode SslMode,
    string? SslRootCert,
    TimeSpan ConnectTimeout);

public enum RepositoryKind { Local, S3 }

/// <param name="EncryptionKey">Null for an unencrypted repository.</param>
public sealed record RepositorySettings(
    RepositoryKind Kind,
    string? Path,
    S3Settings? S3,
    int CompressionLevel,
    EncryptionKey? EncryptionKey = null);

public sealed record S3Settings(
    string Bucket,
    string Prefix,
    string? Endpoint,
    string Region,
    bool ForcePathStyle,
    bool S3Compatible,
    Secret? AccessKey,
    Secret? SecretKey,
    string? ServerSideEncryption,
    string? KmsKeyId);

/// <summary>Which members may serve as the backup and WAL source (DESIGN.md "Choosing the source").</summary>
/// <param name="LeaderSetting">The policy setting that decided <paramref name="Leader"/>, as the ranking's reasons quote it.</param>
public sealed record SourceRules(long MaxLagBytes, LeaderUse Leader, string LeaderSetting);

/// <summary>When the leader may be the source.</summary>
public enum LeaderUse
{
    Never,
    /// <summary>Ranked after every replica: used only while none qualifies.</summary>
    WhenNoReplica,
    /// <summary>The leader and nothing else.</summary>
    Only,
}

/// <summary>Where backup data is compressed: by PgBackup into chunks, or by the source server (BASE_BACKUP COMPRESSION).</summary>
public enum CompressionSite { Client, Server }

/// <param name="ServerWorkers">zstd worker threads on the source when compressing there.</param>
/// <param name="RetryWait">With retries: how long to wait, in all, for a member to qualify as the source (e.g. during a failover).</param>
/// <param name="Type">What `pgbackup backup` takes without --type.</param>
/// <param name="MaxChain">At most this many incrementals between a backup and its full; the next one becomes a full.</param>
/// <param name="NativeIncremental">Take diffs and incrs as PostgreSQL 17+ native incrementals where the source can (else block-level).</param>
public sealed record BackupSettings(CompressionSite Compression, int ServerWorkers, int Retries, TimeSpan RetryWait, BackupType Type, int MaxChain, bool NativeIncremental);

/// <param name="Source">Which members the archiver streams from.</param>
/// <param name="LeaseTimeout">How long an archiver lease lasts unrenewed: the longest a dead `serve` instance's cluster goes unarchived.</param>
public sealed record ArchiveSettings(TimeSpan PartialInterval, string SlotName, ArchiveSource Source, TimeSpan LeaseTimeout)
{
    /// <summary>The archiver's ranking rules: the backups' lag limit, its own use of the leader.</summary>
    public SourceRules SourceRules(SourceRules backup) => backup with
    {
        Leader = Source switch
        {
            ArchiveSource.ReplicaOnly => LeaderUse.Never,
            ArchiveSource.Leader => LeaderUse.Only,
            _ => LeaderUse.WhenNoReplica,
        },
        LeaderSetting = "archive.source: " + ArchiveSourceNames.Name(Source),
    };
}

/// <summary>
/// `archive.source`. Streaming WAL costs the leader one walsender, not a backup's reads, so by
/// default the archiver uses the leader while no replica qualifies (the seconds after a failover,
/// while the replicas re-attach) rather than leave that WAL on the new leader alone.
/// </summary>
public enum ArchiveSource { ReplicaPreferred, ReplicaOnly, Leader }

public static class ArchiveSourceNames
{
    public static IReadOnlyList<string> All { get; } = ["replica-preferred", "replica-only", "leader"];

    public static string Name(ArchiveSource source) => All[(int)source];

    public static ArchiveSource Parse(string name) => (ArchiveSource)All.ToList().IndexOf(name);
}

/// <param name="Diff">Cron of differential backups (the blocks changed since the newest full).</param>
/// <param name="Incr">Cron of incremental backups (the blocks changed since the newest backup).</param>
/// <param name="Jitter">The window the cluster's scheduled starts are spread over (<c>schedules.jitter</c>).</param>
public sealed record ScheduleSettings(string? Full, string? Expire, string? Verify, string? Drill, string TimeZone, string? Diff, string? Incr, TimeSpan Jitter);

public sealed record RetentionSettings(int? FullCount, int? MaxAgeDays);
