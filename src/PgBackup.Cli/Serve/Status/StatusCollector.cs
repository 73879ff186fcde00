using Microsoft.Extensions.Logging;
using PgBackup.Cli.Serve.Archiver;
using PgBackup.Cli.Serve.Policies;
using PgBackup.Drill;
using PgBackup.Errors;

namespace PgBackup.Cli.Serve.Status;

/// <summary>Reads the status of every valid cluster; a repository that cannot be read marks its cluster, never the whole answer.</summary>
internal sealed class StatusCollector(PolicyDirectory policies, BackupStatusReader backups, IArchiverStatusSource archivers, ILogger<StatusCollector> log)
{
    public async Task<IReadOnlyList<ClusterStatus>> CollectAsync(CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        var tasks = policies.Current.Valid.Values.OrderBy(p => p.Cluster, StringComparer.Ordinal).Select(async policy =>
        {
            var archiver = archivers.Get(policy.Cluster);
            try
            {
                return ClusterStatus.From(policy.Cluster, await backups.EntriesAsync(policy, ct), archiver, now);
            }
            catch (PgBackupException e)
            {
                log.LogWarning("Cannot read the repository of cluster {Cluster}: {Reason}", policy.Cluster, e.Message);
                return ClusterStatus.Unreadable(policy.Cluster, archiver, e.Message);
            }
        });
        return await Task.WhenAll(tasks);
    }

    /// <summary>The newest drill report of every valid cluster that has one; an unreadable repository is already reported by <see cref="CollectAsync"/>.</summary>
    public async Task<IReadOnlyList<DrillReport>> LatestDrillsAsync(DrillStatusReader drills, CancellationToken ct)
    {
        var reports = new List<DrillReport>();
        foreach (var policy in policies.Current.Valid.Values.OrderBy(p => p.Cluster, StringComparer.Ordinal))
        {
            try
            {
                if (await drills.LatestAsync(policy, ct) is { } report) reports.Add(report);
            }
            catch (Exception e) when (e is PgBackupException or System.Text.Json.JsonException)
            {
                log.LogWarning("Cannot read the last drill report of cluster {Cluster}: {Reason}", policy.Cluster, e.Message);
            }
        }
        return reports;
    }
}
