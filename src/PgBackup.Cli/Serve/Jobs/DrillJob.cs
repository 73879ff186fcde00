using Hangfire;
using Hangfire.Server;
using PgBackup.Cli.Rendering;
using PgBackup.Cli.Serve.Status;
using PgBackup.Drill;
using PgBackup.Errors;

namespace PgBackup.Cli.Serve.Jobs;

/// <summary>The scheduled restore drill: <see cref="DrillRun"/>; its report lands in the repository, where /metrics reads it.</summary>
internal sealed class DrillJob(ClusterJob job, DrillStatusReader drills)
{
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("drill {0}")]
    public Task<string> RunAsync(string cluster, PerformContext? context, CancellationToken ct) =>
        job.RunAsync("drill", cluster, context, async (policy, log) =>
        {
            var serverUser = Environment.UserName == "root" ? "postgres" : null;
            var options = new DrillOptions(null, false, WalFetchInvocation.RestoreCommand(policy.SourceFile, serverUser), serverUser, serverUser ?? Environment.UserName, null);
            var report = await new DrillRun(policy, log).RunAsync(options, ct);
            drills.Invalidate(cluster);
            return report.FirstFailure is { } failed
                ? throw new OperationFailedException($"drill failed at {failed.Name}: {failed.Detail}")
                : $"drill of backup {report.BackupId} passed: usable after {report.UsableSeconds:0.0}s (restore {report.RestoreSeconds:0.0}s, recovery {report.RecoverySeconds:0.0}s)";
        });
}
