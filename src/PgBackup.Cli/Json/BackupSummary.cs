using PgBackup.Repository.Catalog;
using PgBackup.Postgres;

namespace PgBackup.Cli.Json;

/// <summary>The operator's view of one backup: a row of `list` (and its --json, and /api/backups), the summary of `info --json` and `backup --json`.</summary>
/// <param name="Type">full, diff or incr; null while a backup is incomplete.</param>
/// <param name="Reference">The backup a diff or incr was compared with.</param>
/// <param name="Chain">How many backups a restore of this one reads (1 for a full); null where the catalog was not read.</param>
internal sealed record BackupSummary(
    string Id,
    string Status,
    string? Type,
    string? Reference,
    int? Chain,
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
    /// <param name="complete">The repository's complete backups, to measure the chain; null when not read.</param>
    public static BackupSummary Of(BackupManifest m, IReadOnlyDictionary<string, BackupManifest>? complete = null)
    {
        var seconds = (m.EndTime - m.StartTime).TotalSeconds;
        var chain = complete is null ? (int?)null : BackupChain.Of(m, complete)?.Count;
        return new BackupSummary(m.Id, "complete", m.Type.Name(), m.Reference, chain, m.Source.Member, m.StartTime, m.EndTime, m.StartLsn, m.EndLsn, m.Timeline,
            m.DatabaseSize, m.StoredSize, Math.Round(seconds, 1), seconds > 0 ? Math.Round(m.DatabaseSize / seconds / 1e6, 1) : null);
    }

    /// <summary>The rows of `list [--all]`, also served by /api/backups: complete backups, and with <paramref name="all"/> the incomplete ones.</summary>
    public static IReadOnlyList<BackupSummary> Rows(IReadOnlyList<BackupEntry> listed, bool all)
    {
        var complete = BackupChain.ById(listed.Select(e => e.Manifest).OfType<BackupManifest>());
        return listed.Where(e => all || e.Status == BackupStatus.Complete).Select(e => Of(e, complete)).ToList();
    }

    private static BackupSummary Of(BackupEntry e, IReadOnlyDictionary<string, BackupManifest> complete) => e.Manifest is { } m
        ? Of(m, complete) with { StoredSize = e.StoredBytes }
        : new BackupSummary(e.Id, e.Status == BackupStatus.Running ? "running" : "incomplete (dead; removed by the next backup)",
            null, null, null, null, null, null, null, null, null, null, e.StoredBytes, null, null);
}
