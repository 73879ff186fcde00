using System.Collections.Concurrent;
using PgBackup.Drill;
using PgBackup.Policies;

namespace PgBackup.Cli.Serve.Status;

/// <summary>The newest drill report per cluster, cached like <see cref="BackupStatusReader"/>: a scrape must not list the repository each time.</summary>
internal sealed class DrillStatusReader
{
    private readonly ConcurrentDictionary<string, (DateTimeOffset ReadAt, DrillReport? Report)> _cache = new(StringComparer.Ordinal);

    public async Task<DrillReport?> LatestAsync(Policy policy, CancellationToken ct)
    {
        if (_cache.TryGetValue(policy.Cluster, out var cached) && DateTimeOffset.UtcNow - cached.ReadAt < BackupStatusReader.MaxAge)
            return cached.Report;
        using var repository = policy.OpenRepository();
        var report = await DrillReports.ReadLatestAsync(repository, ct);
        _cache[policy.Cluster] = (DateTimeOffset.UtcNow, report);
        return report;
    }

    public void Invalidate(string cluster) => _cache.TryRemove(cluster, out _);
}
