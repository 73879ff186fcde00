using PgBackup.Cli.Serve.Archiver;
using PgBackup.Repository.Catalog;

namespace PgBackup.Cli.Serve.Status;

/// <summary>One cluster's backup health as /api/status and /metrics report it.</summary>
internal sealed record ClusterStatus(
    string Cluster,
    int CompleteBackups,
    bool BackupRunning,
    BackupManifest? LastBackup,
    double? LastBackupAgeSeconds,
    DateTimeOffset? WindowStart,
    DateTimeOffset? WindowEnd,
    ArchiverStatus? Archiver,
    string? RepositoryError)
{
    public static ClusterStatus From(string cluster, IReadOnlyList<BackupEntry> entries, ArchiverStatus? archiver, DateTimeOffset now)
    {
        var complete = entries.Where(e => e.Manifest is not null).Select(e => e.Manifest!).ToList();
        var last = complete.LastOrDefault();
        // A restore can reach no point before the oldest backup's end (where it becomes consistent),
        // and none after the newest WAL archived; without the archiver, the newest backup's end.
        var windowStart = complete.FirstOrDefault()?.EndTime;
        var windowEnd = archiver?.NewestArchivedWalTime is { } walEnd && walEnd > last?.EndTime ? walEnd : last?.EndTime;
        return new ClusterStatus(cluster, complete.Count, entries.Any(e => e.Status == BackupStatus.Running), last,
            last is null ? null : Math.Round((now - last.EndTime).TotalSeconds, 1), windowStart, windowEnd, archiver, null);
    }

    public static ClusterStatus Unreadable(string cluster, ArchiverStatus? archiver, string error) =>
        new(cluster, 0, false, null, null, null, null, archiver, error);
}
