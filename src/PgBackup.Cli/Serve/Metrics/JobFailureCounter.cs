using System.Collections.Concurrent;

namespace PgBackup.Cli.Serve.Metrics;

/// <summary>Failed job attempts since this process started, by cluster and job: a Prometheus counter (resets on restart, as counters do).</summary>
internal sealed class JobFailureCounter
{
    private readonly ConcurrentDictionary<(string Cluster, string Job), long> _counts = new();

    public void Increment(string cluster, string job) => _counts.AddOrUpdate((cluster, job), 1, (_, n) => n + 1);

    public IReadOnlyList<(string Cluster, string Job, long Count)> Snapshot() =>
        _counts.Select(p => (p.Key.Cluster, p.Key.Job, p.Value)).OrderBy(p => p.Cluster, StringComparer.Ordinal).ThenBy(p => p.Job, StringComparer.Ordinal).ToList();
}
