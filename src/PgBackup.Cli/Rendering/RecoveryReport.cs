using PgBackup.Restore;

namespace PgBackup.Cli.Rendering;

/// <summary>`restore --start` on the terminal: where recovery ended, told truthfully (the algorithm is <see cref="RecoveryStart"/>).</summary>
internal static class RecoveryReport
{
    public static async Task<int> StartAndReportAsync(RestoreResult result, string pgBin, RestoreOptions options, string? osUser, bool stopAfter, CancellationToken ct)
    {
        var started = await RecoveryStart.RunAsync(result, pgBin, options, osUser, stopAfter, ended =>
        {
            var outcome = ended.Outcome;
            Console.Out.WriteLine($"""
                recovery    {outcome.End.ToString().ToLowerInvariant()} after {ended.Elapsed.TotalSeconds:0.0}s (target: {options.Target.Describe()})
                  stopped   {outcome.StopReason ?? "at the end of the available WAL"}
                  last commit replayed {outcome.LastTransactionTime ?? "unknown (no transaction replayed after the backup)"}
                  redo done at {outcome.RedoDoneAt ?? "n/a"}{(outcome.NewTimeline is { } t ? $", now on timeline {t}" : "")}
                  log       {ended.LogPath}
                """);
        }, ct);
        if (stopAfter && started.Outcome.End != RecoveryEnd.ShutDown)
            Console.Out.WriteLine("server stopped (--stop-after)");
        else if (started.Running)
            Console.Out.WriteLine($"the server runs on port {options.Port}: psql -h /tmp -p {options.Port} -d postgres   (stop: pg_ctl -D {result.PgData} stop)");
        return 0;
    }
}
