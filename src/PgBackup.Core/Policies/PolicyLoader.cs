using PgBackup.Errors;
using PgBackup.Postgres.Replication;
using PgBackup.Repository;
using PgBackup.Repository.Catalog;
using PgBackup.Repository.Codecs;
using K = PgBackup.Policies.PolicyKeys;

namespace PgBackup.Policies;

/// <summary>
/// Reads and validates a policy file: keys, types, ranges and defaults come from
/// <see cref="PolicyKeys"/>; what spans keys (a password needs a username, incrementals need client
/// chunks) is checked here. Every error names the file, the line and the key.
/// </summary>
public static partial class PolicyLoader
{
    public static Policy Load(string file)
    {
        string text;
        try { text = File.ReadAllText(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read policy file {file}: {e.Message}");
        }
        return Parse(file, text);
    }

    public static Policy Parse(string file, string yaml)
    {
        var root = PolicyNode.Root(file, yaml);
        var cluster = ReadClusterName(root);

        var backup = root.Get(K.Backup);
        var schedules = root.Get(K.Schedules);
        var policy = new Policy(
            cluster,
            Path.GetFullPath(file),
            ReadPatroni(root.Get(K.Patroni)),
            ReadConnection(root.Get(K.Connection)),
            ReadRepository(root.Get(K.Repository)),
            ReadSource(root.Get(K.Source)),
            ReadBackup(backup),
            ReadArchive(root.Get(K.Archive), cluster),
            ReadSchedules(schedules),
            ReadRetention(root.Get(K.Retention)));
        root.RejectUnknownKeys();
        RequireBlockMapsForIncrementals(backup, schedules, policy);
        return policy;
    }

    /// <summary>
    /// Incrementals compare chunk hashes, which only client-compressed backups keep: a policy that
    /// plans diff or incr backups must take its fulls that way too, or every incremental after a
    /// scheduled full would silently be a full again.
    /// </summary>
    private static void RequireBlockMapsForIncrementals(PolicyNode backup, PolicyNode schedules, Policy policy)
    {
        if (policy.Backup.Compression == CompressionSite.Client) return;
        const string why = "need backup.compression: client (server-compressed backups keep no block hashes for incrementals to compare with)";
        if (policy.Backup.Type != BackupType.Full)
            throw backup.Error(K.BackupType, $"{policy.Backup.Type.Name()} backups {why}");
        foreach (var (key, cron) in new[] { (K.SchedulesDiff, policy.Schedules.Diff), (K.SchedulesIncr, policy.Schedules.Incr) })
            if (cron is not null)
                throw schedules.Error(key, $"'{cron}' schedules {key.Name} backups, which {why}");
    }

    private static PatroniSettings ReadPatroni(PolicyNode n)
    {
        var urls = n.Get(K.PatroniUrls);
        if (urls.Count == 0) throw n.Error(K.PatroniUrls, "give at least one Patroni REST API URL, e.g. http://10.0.0.1:8008");
        var parsed = urls.Select(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw n.Error(K.PatroniUrls, $"'{u}' is not an http:// or https:// URL")).ToList();
        var settings = new PatroniSettings(parsed, n.Get(K.PatroniUsername), n.Get(K.PatroniPassword), n.Get(K.PatroniCaFile), n.Get(K.PatroniTimeout));
        if (settings.Password is not null && settings.Username is null)
            throw n.Error(K.PatroniUsername, "a Patroni password needs a username too");
        n.RejectUnknownKeys();
        return settings;
    }

    private static ConnectionSettings ReadConnection(PolicyNode n)
    {
        var settings = new ConnectionSettings(n.Get(K.ConnectionUser), n.Get(K.ConnectionPassword), n.Get(K.ConnectionDatabase),
            SslModes.Parse(n.Get(K.ConnectionSslMode)), n.Get(K.ConnectionSslRootCert), n.Get(K.ConnectionConnectTimeout));
        n.RejectUnknownKeys();
        return settings;
    }

    private static RepositorySettings ReadRepository(PolicyNode n)
    {
        var kind = n.Get(K.RepositoryType);
        var level = n.Get(K.RepositoryCompressionLevel);
        var key = ReadEncryptionKey(n);
        var settings = kind == "local"
            ? new RepositorySettings(RepositoryKind.Local, n.Get(K.RepositoryPath), null, level, key)
            : new RepositorySettings(RepositoryKind.S3, null, ReadS3(n.Get(K.RepositoryS3)), level, key);
        n.RejectUnknownKeys();
        return settings;
    }

    private static EncryptionKey? ReadEncryptionKey(PolicyNode n)
    {
        if (n.Get(K.RepositoryEncryptionKey) is not { } secret)
            return null;
        var name = K.RepositoryEncryptionKey.Name;
        return EncryptionKey.TryParse(secret.Reveal(), secret.Origin)
            ?? throw n.Error(n.String(name + "_env") is null ? name + "_file" : name + "_env",
                $"the key from {secret.Origin} is not 256 bits written as 64 hex digits or base64 of 32 bytes; make one with `openssl rand -hex 32`");
    }

    private static S3Settings ReadS3(PolicyNode n)
    {
        var endpoint = n.Get(K.S3Endpoint);
        if (endpoint is not null && !Uri.TryCreate(endpoint, UriKind.Absolute, out _))
            throw n.Error(K.S3Endpoint, $"'{endpoint}' is not a URL, e.g. http://127.0.0.1:9000");
        var sse = n.Get(K.S3ServerSideEncryption);
        var settings = new S3Settings(
            n.Get(K.S3Bucket),
            n.Get(K.S3Prefix).Trim('/'),
            endpoint,
            n.Get(K.S3Region),
            n.Get(K.S3ForcePathStyle) ?? endpoint is not null,
            // Non-AWS endpoints silently store aws-chunked framing unless we turn it off (DESIGN.md).
            n.Get(K.S3Compatible) ?? endpoint is not null,
            n.Get(K.S3AccessKey),
            n.Get(K.S3SecretKey),
            sse,
            n.Get(K.S3KmsKeyId));
        if ((settings.AccessKey is null) != (settings.SecretKey is null))
            throw n.Error((settings.AccessKey is null ? K.S3AccessKey : K.S3SecretKey).Name + "_env", "give both access_key and secret_key, or neither (to use the AWS default credential chain)");
        if (settings.KmsKeyId is not null && sse != "aws:kms")
            throw n.Error(K.S3KmsKeyId, "kms_key_id needs server_side_encryption: aws:kms");
        n.RejectUnknownKeys();
        return settings;
    }

    private static SourceRules ReadSource(PolicyNode n)
    {
        var allowLeader = n.Get(K.SourceAllowLeader);
        var rules = new SourceRules(n.Get(K.SourceMaxLag), allowLeader ? LeaderUse.WhenNoReplica : LeaderUse.Never, $"{K.SourceAllowLeader.Path}: {(allowLeader ? "true" : "false")}");
        n.RejectUnknownKeys();
        return rules;
    }

    private static BackupSettings ReadBackup(PolicyNode n)
    {
        var site = n.Get(K.BackupCompression) == "client" ? CompressionSite.Client : CompressionSite.Server;
        var retryWait = n.Get(K.BackupRetryWait);
        var type = BackupTypeNames.Parse(n.Get(K.BackupType))!.Value;
        var settings = new BackupSettings(site, n.Get(K.BackupServerWorkers), n.Get(K.BackupRetries), retryWait, type, n.Get(K.BackupMaxChain),
            n.Get(K.BackupNativeIncremental) == "auto");
        n.RejectUnknownKeys();
        return settings;
    }

    private static ArchiveSettings ReadArchive(PolicyNode n, string cluster)
    {
        var slot = n.Get(K.ArchiveSlotName) ?? ClusterName.ArchiverSlot(cluster);
        if (!ReplicationSlotName.IsValid(slot))
            throw n.Error(K.ArchiveSlotName, $"'{slot}' is not a valid slot name ({ReplicationSlotName.Rule})");
        var lease = n.Get(K.ArchiveLeaseTimeout);
        if (lease < TimeSpan.FromSeconds(3))
            throw n.Error(K.ArchiveLeaseTimeout, $"'{n.String(K.ArchiveLeaseTimeout.Name)}' is shorter than 3s; the holder renews its lease every third of it, and storage round trips need that long");
        var settings = new ArchiveSettings(n.Get(K.ArchivePartialInterval), slot, ArchiveSourceNames.Parse(n.Get(K.ArchiveSource)), lease);
        n.RejectUnknownKeys();
        return settings;
    }

    private static ScheduleSettings ReadSchedules(PolicyNode n)
    {
        var tz = n.Get(K.SchedulesTimeZone);
        var settings = new ScheduleSettings(n.Get(K.SchedulesFull), n.Get(K.SchedulesExpire), n.Get(K.SchedulesVerify), n.Get(K.SchedulesDrill), tz,
            n.Get(K.SchedulesDiff), n.Get(K.SchedulesIncr), n.Get(K.SchedulesJitter));
        n.RejectUnknownKeys();
        return settings;
    }

    private static RetentionSettings ReadRetention(PolicyNode n)
    {
        var settings = new RetentionSettings(n.Get(K.RetentionFullCount), n.Get(K.RetentionMaxAgeDays));
        n.RejectUnknownKeys();
        return settings;
    }
}
