using System.Collections.Concurrent;

namespace PgBackup.Cli.Serve.Archiver;

/// <summary>The latest status each running archiver reported, by cluster.</summary>
internal sealed class ArchiverStatusBoard : IArchiverStatusSource
{
    private readonly ConcurrentDictionary<string, ArchiverStatus> _latest = new(StringComparer.Ordinal);

    public ArchiverStatus? Get(string cluster) => _latest.GetValueOrDefault(cluster);

    public IProgress<ArchiverStatus> For(string cluster) => new Reporter(this, cluster);

    public void Remove(string cluster) => _latest.TryRemove(cluster, out _);

    /// <summary>
    /// Synchronous on purpose: Progress&lt;T&gt; would post to a thread pool and could reorder reports.
    /// A restarted archiver starts without history: the crash it restarted after stays its error until it
    /// streams again, then becomes its previous error.
    /// </summary>
    private sealed class Reporter(ArchiverStatusBoard board, string cluster) : IProgress<ArchiverStatus>
    {
        public void Report(ArchiverStatus value) => board._latest.AddOrUpdate(cluster, value, (_, before) => WithHistory(value, before));

        private static ArchiverStatus WithHistory(ArchiverStatus value, ArchiverStatus before)
        {
            if (value.LastError is null && before.LastError is not null)
                return value.IsStreaming
                    ? value with { PreviousError = before.LastError, PreviousErrorAt = before.LastErrorAt }
                    : value with { LastError = before.LastError, LastErrorAt = before.LastErrorAt, PreviousError = before.PreviousError, PreviousErrorAt = before.PreviousErrorAt };
            return value.PreviousError is null ? value with { PreviousError = before.PreviousError, PreviousErrorAt = before.PreviousErrorAt } : value;
        }
    }
}
