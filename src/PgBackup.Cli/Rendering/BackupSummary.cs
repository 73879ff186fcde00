using PgBackup.Repository.Catalog;
using PgBackup.Postgres;

namespace PgBackup.Cli.Rendering;

/// <summary>The operator's view of one backup, shared by `list`, `info` and `backup --json`.</summary>
internal sealed record BackupSummary(
    string Id,
    string Status,
    string? Source,
    DateTimeOffset? StartTime,
    DateTimeOffset? EndTime,
    Lsn? StartLsn,
    Lsn? EndLsn,
    uint? Timeline,
    long? DatabaseSize,
    long StoredSize,
    double? DurationSeconds,
    double? RateMBps)
{
    public static BackupSummary Of(BackupManifest m)
    {
        var seconds = (m.EndTime - m.StartTime).TotalSeconds;
        return new BackupSummary(m.Id, "complete", m.Source.Member, m.StartTime, m.EndTime, m.StartLsn, m.EndLsn, m.Timeline,
            m.DatabaseSize, m.StoredSize, Math.Round(seconds, 1), seconds > 0 ? Math.Round(m.DatabaseSize / seconds / 1e6, 1) : null);
    }

    public static BackupSummary Of(BackupEntry e) => e.Manifest is { } m
        ? Of(m) with { StoredSize = e.StoredBytes }
        : new BackupSummary(e.Id, e.Status == BackupStatus.Running ? "running" : "incomplete (dead; removed by the next backup)",
            null, null, null, null, null, null, null, e.StoredBytes, null, null);
}
