using System.Collections.Concurrent;

namespace PgBackup.Cli.Serve.Archiver;

/// <summary>The latest status each running archiver reported, by cluster.</summary>
internal sealed class ArchiverStatusBoard : IArchiverStatusSource
{
    private readonly ConcurrentDictionary<string, ArchiverStatus> _latest = new(StringComparer.Ordinal);

    public ArchiverStatus? Get(string cluster) => _latest.GetValueOrDefault(cluster);

    public IProgress<ArchiverStatus> For(string cluster) => new Reporter(this, cluster);

    public void Remove(string cluster) => _latest.TryRemove(cluster, out _);

    /// <summary>Synchronous on purpose: Progress&lt;T&gt; would post to a thread pool and could reorder reports.</summary>
    private sealed class Reporter(ArchiverStatusBoard board, string cluster) : IProgress<ArchiverStatus>
    {
        public void Report(ArchiverStatus value) => board._latest[cluster] = value;
    }
}
