using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;

namespace PgBackup.Repository;

/// <summary>A WAL object's identity, parsed back from its key.</summary>
public sealed record WalObjectName(uint Timeline, string Segment, bool Partial);

/// <summary>
/// The one place that knows object keys (DESIGN.md, repository format version 1), in both
/// directions: building a key for an object, and recognising what a listed key is.
/// </summary>
/// <remarks>
/// <code>
/// &lt;cluster&gt;/repo.json
/// &lt;cluster&gt;/backups/&lt;id&gt;/manifest.json           written last: marks the backup complete
/// &lt;cluster&gt;/backups/&lt;id&gt;/backup_manifest.zst     PostgreSQL's own manifest, verbatim
/// &lt;cluster&gt;/backups/&lt;id&gt;/data/&lt;000001&gt;.pack      chunks of file content
/// &lt;cluster&gt;/wal/&lt;TLI&gt;/&lt;segment&gt;.zst
/// &lt;cluster&gt;/wal/&lt;TLI&gt;/&lt;segment&gt;.partial.zst
/// &lt;cluster&gt;/wal/&lt;TLI&gt;.history.zst
/// </code>
/// Timeline and segment names are taken as given (uint, 24 hex digits); WAL file-name
/// arithmetic belongs to PgBackup.Postgres.
/// </remarks>
public sealed partial class RepositoryLayout
{
    private const string Compressed = ".zst";
    private const string PartialSuffix = ".partial" + Compressed;
    private const string HistorySuffix = ".history" + Compressed;

    public RepositoryLayout(string cluster)
    {
        if (!ClusterName.IsValid(cluster))
            throw new ArgumentException($"cluster name '{cluster}' is not valid: use {ClusterName.Rule}", nameof(cluster));
        Cluster = cluster;
        Root = cluster + "/";
    }

    public string Cluster { get; }

    /// <summary>Prefix of every object of this cluster, ending in '/'.</summary>
    public string Root { get; }

    public string Descriptor => Root + "repo.json";

    public string BackupsPrefix => Root + "backups/";

    public string WalPrefix => Root + "wal/";

    /// <summary>Reports of restore drills, one JSON object per run named by its UTC end time, so the newest sorts last.</summary>
    public string DrillsPrefix => Root + "drills/";

    public string DrillReport(DateTimeOffset finished) => DrillsPrefix + finished.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture) + ".json";

    /// <summary>Prefix of every object of one backup, ending in '/': delete everything under it to expire the backup.</summary>
    public string BackupPrefix(string backupId) => BackupsPrefix + ValidBackupId(backupId) + "/";

    public string BackupManifest(string backupId) => BackupPrefix(backupId) + "manifest.json";

    /// <summary>Written when a backup starts and refreshed while it runs: tells a later run whether leftovers without a manifest belong to a live backup.</summary>
    public string BackupLease(string backupId) => BackupPrefix(backupId) + "lease.json";

    /// <summary>WAL the backup streamed from its start to its end LSN, so it restores on its own.</summary>
    public string BackupWal(string backupId, string segment) => BackupPrefix(backupId) + "wal/" + ValidSegment(segment) + Compressed;

    /// <summary>The history file of the backup's timeline, so a backup on timeline &gt; 1 restores without the archive.</summary>
    public string BackupHistory(string backupId, uint timeline) => BackupPrefix(backupId) + "wal/" + Hex(timeline) + HistorySuffix;

    /// <summary>The id of the backup an object key belongs to, or null for keys outside backups/.</summary>
    public string? BackupIdOf(string key)
    {
        if (!key.StartsWith(BackupsPrefix, StringComparison.Ordinal)) return null;
        var slash = key.IndexOf('/', BackupsPrefix.Length);
        return slash < 0 ? null : key[BackupsPrefix.Length..slash];
    }

    /// <summary>
    /// PostgreSQL's backup_manifest as the server sent it, a separate object rather than a string in
    /// manifest.json because it grows with the file count (one JSON line per file).
    /// </summary>
    public string PostgresBackupManifest(string backupId) => BackupPrefix(backupId) + "backup_manifest" + Compressed;

    /// <summary>The <paramref name="sequence"/>-th pack of a backup, numbered from 1.</summary>
    public string Pack(string backupId, int sequence)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequence);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sequence, 999_999);
        return BackupPrefix(backupId) + "data/" + sequence.ToString("D6", CultureInfo.InvariantCulture) + ".pack";
    }

    /// <summary>Prefix of one timeline's segments, ending in '/'.</summary>
    public string WalTimelinePrefix(uint timeline) => WalPrefix + Hex(timeline) + "/";

    public string WalSegment(uint timeline, string segment) => WalTimelinePrefix(timeline) + ValidSegment(segment) + Compressed;

    public string WalPartial(uint timeline, string segment) => WalTimelinePrefix(timeline) + ValidSegment(segment) + PartialSuffix;

    public string TimelineHistory(uint timeline) => WalPrefix + Hex(timeline) + HistorySuffix;

    /// <summary>The backup whose manifest.json <paramref name="key"/> is — that is, a complete backup.</summary>
    public bool TryParseBackupManifest(string key, [NotNullWhen(true)] out string? backupId)
    {
        var m = MatchUnderRoot(BackupManifestKey(), key);
        backupId = m?.Groups["id"].Value;
        return m is not null;
    }

    /// <summary>The segment or partial segment <paramref name="key"/> holds.</summary>
    public bool TryParseWalObject(string key, [NotNullWhen(true)] out WalObjectName? name)
    {
        var m = MatchUnderRoot(WalObjectKey(), key);
        name = m is null ? null : new WalObjectName(ParseHex(m.Groups["tli"].Value), m.Groups["segment"].Value, m.Groups["partial"].Success);
        return m is not null;
    }

    /// <summary>The timeline whose history file <paramref name="key"/> is.</summary>
    public bool TryParseTimelineHistory(string key, out uint timeline)
    {
        var m = MatchUnderRoot(HistoryKey(), key);
        timeline = m is null ? 0 : ParseHex(m.Groups["tli"].Value);
        return m is not null;
    }

    private Match? MatchUnderRoot(Regex pattern, string key)
    {
        if (!key.StartsWith(Root, StringComparison.Ordinal))
            return null;
        var m = pattern.Match(key, Root.Length);
        return m.Success ? m : null;
    }

    private static string Hex(uint timeline) => timeline.ToString("X8", CultureInfo.InvariantCulture);

    private static uint ParseHex(string hex) => uint.Parse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);

    private static string ValidBackupId(string backupId) =>
        BackupId().IsMatch(backupId) ? backupId : throw new ArgumentException($"backup id '{backupId}' is not usable in object keys", nameof(backupId));

    private static string ValidSegment(string segment) =>
        SegmentName().IsMatch(segment) ? segment : throw new ArgumentException($"'{segment}' is not a WAL segment name (24 upper-case hex digits)", nameof(segment));

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_-]*$")]
    private static partial Regex BackupId();

    [GeneratedRegex(@"^[0-9A-F]{24}$")]
    private static partial Regex SegmentName();

    [GeneratedRegex(@"\Gbackups/(?<id>[A-Za-z0-9][A-Za-z0-9_-]*)/manifest\.json\z")]
    private static partial Regex BackupManifestKey();

    [GeneratedRegex(@"\Gwal/(?<tli>[0-9A-F]{8})/(?<segment>[0-9A-F]{24})(?<partial>\.partial)?\.zst\z")]
    private static partial Regex WalObjectKey();

    [GeneratedRegex(@"\Gwal/(?<tli>[0-9A-F]{8})\.history\.zst\z")]
    private static partial Regex HistoryKey();
}
