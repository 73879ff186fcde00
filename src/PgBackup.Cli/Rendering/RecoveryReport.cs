using PgBackup.Errors;
using PgBackup.Restore;

namespace PgBackup.Cli.Rendering;

/// <summary>`restore --start`: run recovery and tell the truth about where it ended.</summary>
internal static class RecoveryReport
{
    private static readonly TimeSpan RecoveryTimeout = TimeSpan.FromHours(6);

    public static async Task<int> StartAndReportAsync(RestoreResult result, string pgBin, RestoreOptions options, string? osUser, bool stopAfter, CancellationToken ct)
    {
        var server = new RecoveredServer(pgBin, result.PgData, options.Port, osUser);
        var started = DateTimeOffset.UtcNow;
        var outcome = await server.StartAsync(result.Directories, RecoveryTimeout, ct);
        var elapsed = DateTimeOffset.UtcNow - started;
        Console.Out.WriteLine($"""
            recovery    {outcome.End.ToString().ToLowerInvariant()} after {elapsed.TotalSeconds:0.0}s (target: {options.Target.Describe()})
              stopped   {outcome.StopReason ?? "at the end of the available WAL"}
              last commit replayed {outcome.LastTransactionTime ?? "unknown (no transaction replayed after the backup)"}
              redo done at {outcome.RedoDoneAt ?? "n/a"}{(outcome.NewTimeline is { } t ? $", now on timeline {t}" : "")}
              log       {server.LogPath}
            """);
        if (outcome.End == RecoveryEnd.Failed)
        {
            // PostgreSQL stops at the first record matching the target after the backup's start: a
            // restore point name used before (or a target inside the backup) can lie before the backup
            // is consistent. Only an older backup reaches it; say so instead of leaving the operator at FATAL.
            var hint = outcome.Failure?.Contains("before consistent recovery point", StringComparison.Ordinal) == true
                ? $"; the target lies before the end of backup {result.Plan.Backup.Id} (a restore point name used more than once?): restore an older backup with --backup ID (`pgbackup list`)"
                : "";
            throw new OperationFailedException($"recovery did not reach {options.Target.Describe()}: {outcome.Failure}{hint}");
        }
        if (stopAfter && outcome.End != RecoveryEnd.ShutDown)
        {
            server.Stop();
            Console.Out.WriteLine("server stopped (--stop-after)");
        }
        else if (outcome.End != RecoveryEnd.ShutDown)
        {
            Console.Out.WriteLine($"the server runs on port {options.Port}: psql -h /tmp -p {options.Port} -d postgres   (stop: pg_ctl -D {result.PgData} stop)");
        }
        return 0;
    }
}
