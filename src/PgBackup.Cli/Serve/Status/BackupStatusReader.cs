using System.Collections.Concurrent;
using PgBackup.Policies;
using PgBackup.Repository.Catalog;

namespace PgBackup.Cli.Serve.Status;

/// <summary>
/// The repository's backup list per cluster, cached briefly: listing reads every manifest, and a
/// Prometheus scrape every 15 s must not do that each time. A finished or failed job invalidates its cluster.
/// </summary>
internal sealed class BackupStatusReader
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, (DateTimeOffset ReadAt, IReadOnlyList<BackupEntry> Entries)> _cache = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<BackupEntry>> EntriesAsync(Policy policy, CancellationToken ct)
    {
        if (_cache.TryGetValue(policy.Cluster, out var cached) && DateTimeOffset.UtcNow - cached.ReadAt < MaxAge)
            return cached.Entries;
        using var repository = policy.OpenRepository();
        var entries = await BackupCatalog.ListAsync(repository, ct);
        _cache[policy.Cluster] = (DateTimeOffset.UtcNow, entries);
        return entries;
    }

    public void Invalidate(string cluster) => _cache.TryRemove(cluster, out _);
}
