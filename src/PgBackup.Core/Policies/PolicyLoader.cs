using System.Text.RegularExpressions;
using PgBackup.Repository.Catalog;
using PgBackup.Errors;
using PgBackup.Repository.Codecs;

namespace PgBackup.Policies;

/// <summary>
/// Reads and validates a policy file. Every key is documented in policies/example.yaml; every
/// error names the file, the line and the key.
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
        var cluster = root.RequiredString("cluster");
        if (!ClusterName().IsMatch(cluster))
            throw root.Error("cluster", $"'{cluster}' must be 1-63 letters, digits, '-' or '_' (it names repository folders and slots)");

        var policy = new Policy(
            cluster,
            Path.GetFullPath(file),
            ReadPatroni(Required(root, "patroni")),
            ReadConnection(Required(root, "connection")),
            ReadRepository(Required(root, "repository")),
            ReadSource(root.Mapping("source")),
            ReadBackup(root.Mapping("backup")),
            ReadArchive(root.Mapping("archive"), cluster),
            ReadSchedules(root.Mapping("schedules")),
            ReadRetention(root.Mapping("retention")));
        root.RejectUnknownKeys();
        RequireBlockMapsForIncrementals(root, policy);
        return policy;
    }

    /// <summary>
    /// Incrementals compare chunk hashes, which only client-compressed backups keep: a policy that
    /// plans diff or incr backups must take its fulls that way too, or every incremental after a
    /// scheduled full would silently be a full again.
    /// </summary>
    private static void RequireBlockMapsForIncrementals(PolicyNode root, Policy policy)
    {
        if (policy.Backup.Compression == CompressionSite.Client) return;
        const string why = "need backup.compression: client (server-compressed backups keep no block hashes for incrementals to compare with)";
        if (policy.Backup.Type != BackupType.Full)
            throw root.Mapping("backup")!.Error("type", $"{policy.Backup.Type.Name()} backups {why}");
        foreach (var (key, cron) in new[] { ("diff", policy.Schedules.Diff), ("incr", policy.Schedules.Incr) })
            if (cron is not null)
                throw root.Mapping("schedules")!.Error(key, $"'{cron}' schedules {key} backups, which {why}");
    }

    /// <summary>Server-side zstd (native, on the replica) measured faster end to end: docs/benchmarks.md.</summary>
    public const CompressionSite DefaultCompressionSite = CompressionSite.Server;

    /// <summary>Long enough for Patroni to elect a new leader and a replica to follow it (ttl 30 s by default).</summary>
    public static readonly TimeSpan DefaultRetryWait = TimeSpan.FromSeconds(60);

    private static PolicyNode Required(PolicyNode parent, string key) =>
        parent.Mapping(key) ?? throw parent.Missing(key, "required section is missing; see policies/example.yaml");

    private static PatroniSettings ReadPatroni(PolicyNode n)
    {
        var urls = n.StringList("urls");
        if (urls.Count == 0) throw n.Error("urls", "give at least one Patroni REST API URL, e.g. http://10.0.0.1:8008");
        var parsed = urls.Select(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw n.Error("urls", $"'{u}' is not an http:// or https:// URL")).ToList();
        var settings = new PatroniSettings(parsed, n.String("username"), n.Secret("password"),
            n.String("ca_file") is { } ca ? n.ResolvePath(ca) : null,
            n.Duration("timeout") ?? TimeSpan.FromSeconds(3));
        if (settings.Password is not null && settings.Username is null)
            throw n.Error("username", "a Patroni password needs a username too");
        n.RejectUnknownKeys();
        return settings;
    }

    private static ConnectionSettings ReadConnection(PolicyNode n)
    {
        var settings = new ConnectionSettings(
            n.RequiredString("user"),
            n.Secret("password"),
            n.String("database") ?? "postgres",
            n.OneOf("sslmode", "disable", "prefer", "require", "verify-ca", "verify-full") ?? "prefer",
            n.String("sslrootcert") is { } ca ? n.ResolvePath(ca) : null,
            n.Duration("connect_timeout") ?? TimeSpan.FromSeconds(5));
        n.RejectUnknownKeys();
        return settings;
    }

    private static RepositorySettings ReadRepository(PolicyNode n)
    {
        var kind = n.OneOf("type", "s3", "local") ?? throw n.Missing("type", "required: s3 or local");
        var level = n.Int("compression_level", 1, 19) ?? 3;
        var key = ReadEncryptionKey(n);
        RepositorySettings settings;
        if (kind == "local")
        {
            var path = n.RequiredString("path");
            settings = new RepositorySettings(RepositoryKind.Local, n.ResolvePath(path), null, level, key);
        }
        else
        {
            var s3 = n.Mapping("s3") ?? throw n.Missing("s3", "type s3 needs an s3: section with at least bucket");
            settings = new RepositorySettings(RepositoryKind.S3, null, ReadS3(s3), level, key);
        }
        n.RejectUnknownKeys();
        return settings;
    }

    private static EncryptionKey? ReadEncryptionKey(PolicyNode n)
    {
        if (n.Secret("encryption_key") is not { } secret)
            return null;
        return EncryptionKey.TryParse(secret.Reveal(), secret.Origin)
            ?? throw n.Error(n.String("encryption_key_env") is null ? "encryption_key_file" : "encryption_key_env",
                $"the key from {secret.Origin} is not 256 bits written as 64 hex digits or base64 of 32 bytes; make one with `openssl rand -hex 32`");
    }

    private static S3Settings ReadS3(PolicyNode n)
    {
        var endpoint = n.String("endpoint");
        if (endpoint is not null && !Uri.TryCreate(endpoint, UriKind.Absolute, out _))
            throw n.Error("endpoint", $"'{endpoint}' is not a URL, e.g. http://127.0.0.1:9000");
        var sse = n.OneOf("server_side_encryption", "AES256", "aws:kms");
        var settings = new S3Settings(
            n.RequiredString("bucket"),
            (n.String("prefix") ?? "").Trim('/'),
            endpoint,
            n.String("region") ?? "us-east-1",
            n.Bool("force_path_style") ?? endpoint is not null,
            // Non-AWS endpoints silently store aws-chunked framing unless we turn it off (DESIGN.md).
            n.Bool("s3_compatible") ?? endpoint is not null,
            n.Secret("access_key"),
            n.Secret("secret_key"),
            sse,
            n.String("kms_key_id"));
        if ((settings.AccessKey is null) != (settings.SecretKey is null))
            throw n.Error(settings.AccessKey is null ? "access_key_env" : "secret_key_env", "give both access_key and secret_key, or neither (to use the AWS default credential chain)");
        if (settings.KmsKeyId is not null && sse != "aws:kms")
            throw n.Error("kms_key_id", "kms_key_id needs server_side_encryption: aws:kms");
        n.RejectUnknownKeys();
        return settings;
    }

    private static SourceRules ReadSource(PolicyNode? n)
    {
        if (n is null) return new SourceRules(16L << 20, false);
        var rules = new SourceRules(n.Size("max_lag") ?? 16L << 20, n.Bool("allow_leader") ?? false);
        n.RejectUnknownKeys();
        return rules;
    }

    private static BackupSettings ReadBackup(PolicyNode? n)
    {
        if (n is null) return new BackupSettings(DefaultCompressionSite, 2, 0, DefaultRetryWait);
        var site = n.OneOf("compression", "client", "server") switch
        {
            "client" => CompressionSite.Client,
            "server" => CompressionSite.Server,
            _ => DefaultCompressionSite,
        };
        var retryWait = n.Duration("retry_wait") ?? DefaultRetryWait;
        if (retryWait > TimeSpan.FromHours(1))
            throw n.Error("retry_wait", $"'{n.String("retry_wait")}' is longer than 1h; a failover that takes longer needs a person, not a retry");
        var type = n.OneOf("type", [.. BackupTypeNames.All]) is { } name ? BackupTypeNames.Parse(name)!.Value : BackupType.Full;
        var settings = new BackupSettings(site, n.Int("server_workers", 1, 64) ?? 2, n.Int("retries", 0, 10) ?? 0, retryWait,
            type, n.Int("max_chain", 1, 1000) ?? BackupSettings.DefaultMaxChain);
        n.RejectUnknownKeys();
        return settings;
    }

    private static ArchiveSettings ReadArchive(PolicyNode? n, string cluster)
    {
        var defaultSlot = "pgbackup_" + cluster.Replace('-', '_').ToLowerInvariant();
        if (n is null) return new ArchiveSettings(TimeSpan.FromSeconds(1), defaultSlot);
        var slot = n.String("slot_name") ?? defaultSlot;
        if (!SlotName().IsMatch(slot))
            throw n.Error("slot_name", $"'{slot}' is not a valid slot name (lower-case letters, digits and '_', at most 63)");
        var settings = new ArchiveSettings(n.Duration("partial_interval") ?? TimeSpan.FromSeconds(1), slot);
        n.RejectUnknownKeys();
        return settings;
    }

    private static ScheduleSettings ReadSchedules(PolicyNode? n)
    {
        if (n is null) return new ScheduleSettings(null, null, null, null, "UTC");
        string? Cron(string key)
        {
            var cron = n.String(key);
            if (cron is not null && cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length is not (5 or 6))
                throw n.Error(key, $"'{cron}' is not a cron expression (5 fields: minute hour day month weekday)");
            return cron;
        }
        var tz = n.String("timezone") ?? "UTC";
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(tz, out _))
            throw n.Error("timezone", $"'{tz}' is not a known time zone (use an IANA name such as Europe/Berlin)");
        var settings = new ScheduleSettings(Cron("full"), Cron("expire"), Cron("verify"), Cron("drill"), tz, Cron("diff"), Cron("incr"));
        n.RejectUnknownKeys();
        return settings;
    }

    private static RetentionSettings ReadRetention(PolicyNode? n)
    {
        if (n is null) return new RetentionSettings(null, null);
        var settings = new RetentionSettings(n.Int("full_count", 1, 10_000), n.Int("max_age_days", 1, 36_500));
        n.RejectUnknownKeys();
        return settings;
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,63}$")]
    private static partial Regex ClusterName();

    [GeneratedRegex("^[a-z0-9_]{1,63}$")]
    private static partial Regex SlotName();
}
