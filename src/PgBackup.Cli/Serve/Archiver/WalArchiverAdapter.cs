using Microsoft.Extensions.Logging;
using PgBackup.Policies;
using PgBackup.Wal;

namespace PgBackup.Cli.Serve.Archiver;

/// <summary>Hosts the engine's <see cref="WalArchiver"/> in `serve`, publishing its status every second.</summary>
internal sealed class WalArchiverAdapter(ILoggerFactory loggers)
{
    // Frequent enough that /api/status and /metrics lag the archiver by less than its own partial interval.
    private static readonly TimeSpan ReportInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>Archives the policy's cluster until cancelled; throws only what retrying cannot fix (see <see cref="WalArchiver.RunAsync"/>).</summary>
    public async Task RunAsync(Policy policy, IProgress<ArchiverStatus> status, CancellationToken ct)
    {
        using var repository = policy.OpenRepository();
        var archiver = new WalArchiver(policy, repository, loggers.CreateLogger("archiver:" + policy.Cluster));
        var run = archiver.RunAsync(ct);
        while (!run.IsCompleted)
        {
            status.Report(ToStatus(archiver.Status));
            await Task.WhenAny(run, Task.Delay(ReportInterval, CancellationToken.None));
        }
        status.Report(ToStatus(archiver.Status));
        await run;
    }

    private static ArchiverStatus ToStatus(WalArchiverStatus s) => new(
        s.Gaps.Count > 0 ? "streaming with WAL gaps" : s.State.ToString().ToLowerInvariant(),
        s.SourceMember,
        s.LagBytes,
        s.LagSeconds,
        s.ArchivedLsn is { } lsn ? $"{lsn} on timeline {s.Timeline}" : null,
        // The archiver makes WAL durable within about a second of receiving it: when it did is the window's end.
        s.ArchivedAt,
        s.Gaps.Count > 0 ? $"WAL gap: {string.Join("; ", s.Gaps)}" + (s.LastError is null ? "" : "; " + s.LastError) : s.LastError,
        DateTimeOffset.UtcNow,
        s.SourceReason,
        s.LastErrorAt,
        s.PreviousError,
        s.PreviousErrorAt);
}
