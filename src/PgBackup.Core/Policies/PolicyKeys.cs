using System.Reflection;
using PgBackup.Postgres.Replication;
using PgBackup.Repository;
using PgBackup.Repository.Catalog;
using static PgBackup.Policies.PolicyKeyTypes;

namespace PgBackup.Policies;

/// <summary>
/// Every key a policy file may hold: the one table the loader validates against (unknown keys,
/// suggestions for typos, types, ranges) and takes defaults from. policies/example.yaml documents
/// each (PolicyKeysFacts checks both ways). Within a section, keys are in the order the loader reads
/// them, which is also the order a typo's equally close suggestions are tried in.
/// </summary>
internal static class PolicyKeys
{
    public static readonly PolicyKey<string> Cluster = RequiredText("cluster", $"names the repository folder and the WAL slot pgbackup_<cluster> ({ClusterName.Rule})");

    public static readonly PolicyKey<PolicyNode> Patroni = RequiredSection("patroni", "Patroni REST API of the cluster");
    public static readonly PolicyKey<IReadOnlyList<string>> PatroniUrls = List("patroni.urls", "any member answers for the whole cluster; the first that answers is used");
    public static readonly PolicyKey<string?> PatroniUsername = OptionalText("patroni.username", "HTTP basic auth, if restapi.authentication is set in Patroni");
    public static readonly PolicyKey<Secret?> PatroniPassword = Secret("patroni.password", "HTTP basic auth password");
    public static readonly PolicyKey<string?> PatroniCaFile = FilePath("patroni.ca_file", "CA of https:// URLs signed by a private CA");
    public static readonly PolicyKey<TimeSpan> PatroniTimeout = Duration("patroni.timeout", TimeSpan.FromSeconds(3), "per request");

    public static readonly PolicyKey<PolicyNode> Connection = RequiredSection("connection", "how PgBackup connects to members (replication and SQL probes)");
    public static readonly PolicyKey<string> ConnectionUser = RequiredText("connection.user", "needs REPLICATION and pg_monitor");
    public static readonly PolicyKey<Secret?> ConnectionPassword = Secret("connection.password", "the user's password");
    public static readonly PolicyKey<string> ConnectionDatabase = Text("connection.database", "postgres", "database of the SQL probes (and, before PostgreSQL 15, of reading back replication slots)");
    public static readonly PolicyKey<string> ConnectionSslMode = Choice("connection.sslmode", [.. SslModes.Names], "prefer", "as libpq's sslmode");
    public static readonly PolicyKey<string?> ConnectionSslRootCert = FilePath("connection.sslrootcert", "CA of the members' server certificates");
    public static readonly PolicyKey<TimeSpan> ConnectionConnectTimeout = Duration("connection.connect_timeout", TimeSpan.FromSeconds(5), "per connection attempt");

    public static readonly PolicyKey<PolicyNode> Repository = RequiredSection("repository", "where backups and WAL go");
    public static readonly PolicyKey<string> RepositoryType = RequiredChoice("repository.type", ["s3", "local"], "required: s3 or local", "the kind of store");
    public static readonly PolicyKey<int> RepositoryCompressionLevel = WholeNumber("repository.compression_level", 1, 19, 3, "zstd level of stored objects");
    public static readonly PolicyKey<Secret?> RepositoryEncryptionKey = Secret("repository.encryption_key", "AES-256-GCM key of every object, set when the repository is created");
    public static readonly PolicyKey<string> RepositoryPath = RequiredFilePath("repository.path", "the directory of type local");
    public static readonly PolicyKey<PolicyNode> RepositoryS3 = RequiredSection("repository.s3", "the bucket of type s3", "type s3 needs an s3: section with at least bucket");

    public static readonly PolicyKey<string?> S3Endpoint = OptionalText("repository.s3.endpoint", "for S3-compatible servers; implies force_path_style and s3_compatible");
    public static readonly PolicyKey<string?> S3ServerSideEncryption = OptionalChoice("repository.s3.server_side_encryption", ["AES256", "aws:kms"], "passed through to S3 (at rest on S3's side)");
    public static readonly PolicyKey<string> S3Bucket = RequiredText("repository.s3.bucket", "the bucket");
    public static readonly PolicyKey<string> S3Prefix = Text("repository.s3.prefix", "", "folder inside the bucket");
    public static readonly PolicyKey<string> S3Region = Text("repository.s3.region", "us-east-1", "the bucket's region");
    public static readonly PolicyKey<bool?> S3ForcePathStyle = DerivedFlag("repository.s3.force_path_style", "bucket in the path, not the host name (default: on with an endpoint)");
    public static readonly PolicyKey<bool?> S3Compatible = DerivedFlag("repository.s3.s3_compatible", "plain, not aws-chunked, uploads (default: on with an endpoint)");
    public static readonly PolicyKey<Secret?> S3AccessKey = Secret("repository.s3.access_key", "with secret_key; both absent: the AWS default credential chain");
    public static readonly PolicyKey<Secret?> S3SecretKey = Secret("repository.s3.secret_key", "with access_key");
    public static readonly PolicyKey<string?> S3KmsKeyId = OptionalText("repository.s3.kms_key_id", "with server_side_encryption: aws:kms");

    public static readonly PolicyKey<PolicyNode> Source = Section("source", "which member to back up from");
    public static readonly PolicyKey<long> SourceMaxLag = Size("source.max_lag", 16L << 20, "replicas further behind are passed over");
    public static readonly PolicyKey<bool> SourceAllowLeader = Flag("source.allow_leader", false, "use the leader when no replica qualifies");

    public static readonly PolicyKey<PolicyNode> Backup = Section("backup", "how backups are taken");
    // Server-side zstd (native, on the replica) measured faster end to end: docs/benchmarks.md.
    public static readonly PolicyKey<string> BackupCompression = Choice("backup.compression", ["client", "server"], "server", "zstd on the source replica (server) or on PgBackup's cores into chunks (client)");
    // Long enough for Patroni to elect a new leader and a replica to follow it (ttl 30 s by default).
    public static readonly PolicyKey<TimeSpan> BackupRetryWait = Duration("backup.retry_wait", TimeSpan.FromSeconds(60), "with retries: how long, in all, to wait for a member to qualify",
        (TimeSpan.FromHours(1), "1h", "a failover that takes longer needs a person, not a retry"));
    public static readonly PolicyKey<string> BackupType = Choice("backup.type", [.. BackupTypeNames.All], "full", "what `pgbackup backup` takes without --type");
    public static readonly PolicyKey<int> BackupServerWorkers = WholeNumber("backup.server_workers", 1, 64, 2, "zstd threads on the source for compression: server");
    public static readonly PolicyKey<int> BackupRetries = WholeNumber("backup.retries", 0, 10, 0, "on source failure, retries from the next healthiest member");
    public static readonly PolicyKey<int> BackupMaxChain = WholeNumber("backup.max_chain", 1, 1000, 7, "at most this many diffs/incrs between a backup and its full");
    public static readonly PolicyKey<string> BackupNativeIncremental = Choice("backup.native_incremental", ["auto", "off"], "auto",
        "diff/incr as PostgreSQL 17+ native incrementals where the source summarizes WAL (auto), or always block-level (off)");

    public static readonly PolicyKey<PolicyNode> Archive = Section("archive", "the continuous WAL archiver");
    public static readonly PolicyKey<string?> ArchiveSlotName = OptionalText("archive.slot_name", "physical slot on the source member (default pgbackup_<cluster>)");
    public static readonly PolicyKey<TimeSpan> ArchivePartialInterval = Duration("archive.partial_interval", TimeSpan.FromSeconds(1), "how often the growing WAL segment is uploaded");
    public static readonly PolicyKey<string> ArchiveSource = Choice("archive.source", [.. ArchiveSourceNames.All], "replica-preferred",
        "stream from the healthiest replica and from the leader while none qualifies (replica-preferred), never the leader (replica-only), or only the leader (leader)");
    public static readonly PolicyKey<TimeSpan> ArchiveLeaseTimeout = Duration("archive.lease_timeout", TimeSpan.FromSeconds(10),
        "`serve` instances sharing a job storage: a dead holder's archiver lease expires after this, and another instance takes over",
        (TimeSpan.FromMinutes(10), "10m", "WAL waits on the cluster for as long as no instance archives it"));

    public static readonly PolicyKey<PolicyNode> Schedules = Section("schedules", "cron schedules of `pgbackup serve`");
    public static readonly PolicyKey<string> SchedulesTimeZone = TimeZone("schedules.timezone", "UTC", "the zone the schedules are in");
    public static readonly PolicyKey<string?> SchedulesFull = Cron("schedules.full", "full backups");
    public static readonly PolicyKey<string?> SchedulesExpire = Cron("schedules.expire", "retention");
    public static readonly PolicyKey<string?> SchedulesVerify = Cron("schedules.verify", "verify of the newest backup");
    public static readonly PolicyKey<string?> SchedulesDrill = Cron("schedules.drill", "restore drills");
    public static readonly PolicyKey<string?> SchedulesDiff = Cron("schedules.diff", "differential backups (needs backup.compression: client)");
    public static readonly PolicyKey<string?> SchedulesIncr = Cron("schedules.incr", "incremental backups (needs backup.compression: client)");
    // Many clusters with one cron would all start in one second; each cluster starts at its own fixed
    // offset into this window instead (at most a quarter of the time to the schedule's next run).
    public static readonly PolicyKey<TimeSpan> SchedulesJitter = Duration("schedules.jitter", TimeSpan.FromMinutes(10),
        "spread: each cluster's scheduled jobs start at a fixed offset within this window (0s: on the minute)",
        (TimeSpan.FromHours(6), "6h", "a nightly job spread wider runs into the day"));

    public static readonly PolicyKey<PolicyNode> Retention = Section("retention", "what `pgbackup expire` keeps");
    public static readonly PolicyKey<int?> RetentionFullCount = OptionalWholeNumber("retention.full_count", 1, 10_000, "keep the newest N full backups (with their diffs and incrs)");
    public static readonly PolicyKey<int?> RetentionMaxAgeDays = OptionalWholeNumber("retention.max_age_days", 1, 36_500, "and any younger than this many days");

    /// <summary>The table, in declaration order.</summary>
    public static IReadOnlyList<PolicyKey> All { get; } = typeof(PolicyKeys).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => f.GetValue(null)).OfType<PolicyKey>().ToList();

    /// <summary>The spellings known in one section (dotted path, "" for the root), in table order.</summary>
    public static IReadOnlyList<string> NamesIn(string section) => [.. All.Where(k => k.Section == section).SelectMany(k => k.Names)];
}
