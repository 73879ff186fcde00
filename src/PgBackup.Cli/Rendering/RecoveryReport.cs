using Microsoft.Extensions.Logging;
using PgBackup.Restore;

namespace PgBackup.Cli.Rendering;

/// <summary>`restore --start` on the terminal: recovery's progress, then where it ended, told truthfully (the algorithm is <see cref="RecoveryStart"/>).</summary>
internal static class RecoveryReport
{
    public static async Task<int> StartAndReportAsync(RestoreResult result, string pgBin, RestoreOptions options, string? osUser, bool stopAfter, ILogger log, CancellationToken ct)
    {
        // Where recovery ended is printed once the progress display is gone, and before a failed recovery's error line.
        RecoveryStartResult? ended = null;
        RecoveryStartResult started;
        try
        {
            started = await TransferProgress.RunAsync("recovery", log, progress =>
                RecoveryStart.RunAsync(result, pgBin, options, osUser, stopAfter, e => ended = e, progress, ct));
        }
        finally
        {
            if (ended is { } e) WriteEnd(e, options);
        }
        if (stopAfter && started.Outcome.End != RecoveryEnd.ShutDown)
            Console.Out.WriteLine("server stopped (--stop-after)");
        else if (started.Running)
            Console.Out.WriteLine($"the server runs on port {options.Port}: psql -h /tmp -p {options.Port} -d postgres   (stop: pg_ctl -D {result.PgData} stop)");
        return 0;
    }

    private static void WriteEnd(RecoveryStartResult ended, RestoreOptions options)
    {
        var outcome = ended.Outcome;
        Console.Out.WriteLine($"""
            recovery    {outcome.End.ToString().ToLowerInvariant()} after {ended.Elapsed.TotalSeconds:0.0}s (target: {options.Target.Describe()})
              stopped   {outcome.StopReason ?? "at the end of the available WAL"}
              last commit replayed {outcome.LastTransactionTime ?? "unknown (no transaction replayed after the backup)"}
              redo done at {outcome.RedoDoneAt ?? "n/a"}{(outcome.NewTimeline is { } t ? $", now on timeline {t}" : "")}
              log       {ended.LogPath}
            """);
    }
}
