using Hangfire;
using Hangfire.Server;
using Microsoft.Extensions.Logging;
using PgBackup.Backup;
using PgBackup.Cli.Serve.Metrics;
using PgBackup.Cli.Serve.Policies;
using PgBackup.Cli.Serve.Status;
using PgBackup.Errors;
using PgBackup.Policies;
using Serilog.Context;

namespace PgBackup.Cli.Serve.Jobs;

/// <summary>
/// The scheduled full backup: a thin adapter from Hangfire to <see cref="BackupRun"/>. It takes the
/// cluster's lock, runs the engine with the current policy and turns engine errors into one-line reasons.
/// </summary>
internal sealed class BackupJob(PolicyDirectory policies, BackupStatusReader status, JobFailureCounter failures, ILogger<BackupJob> log)
{
    // Hangfire's default is ten retries over a day; a backup retried twice, 5 and 30 minutes later,
    // still lands in the night and leaves a failure visible by morning.
    [AutomaticRetry(Attempts = 2, DelaysInSeconds = [300, 1800], OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    [JobDisplayName("backup {0}")]
    public async Task<string> RunAsync(string cluster, PerformContext? context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var jobId = LogContext.PushProperty("JobId", context.BackgroundJob.Id);
        using var clusterName = LogContext.PushProperty("Cluster", cluster);
        try
        {
            var policy = policies.Current.Valid.GetValueOrDefault(cluster)
                ?? throw new UsageException($"no valid policy for cluster '{cluster}' in {policies.Path}; see /api/status for policy errors");
            using var held = ClusterLock.Acquire(context.Storage, "backup", cluster);
            log.LogInformation("Backup of cluster {Cluster} started by job {JobId}", cluster, context.BackgroundJob.Id);
            var manifest = await new BackupRun(policy, log).RunAsync(policy.Backup.Retries, ct);
            status.Invalidate(cluster);
            return $"backup {manifest.Id} from {manifest.Source.Member}: {ByteSize.Format(manifest.DatabaseSize)} of data, {ByteSize.Format(manifest.StoredSize)} stored, " +
                $"{(manifest.EndTime - manifest.StartTime).TotalSeconds:0.0}s";
        }
        catch (PgBackupException e)
        {
            log.LogError(e, "Backup of cluster {Cluster} failed: {Reason}", cluster, e.Message);
            failures.Increment(cluster, "backup");
            status.Invalidate(cluster);
            throw new JobFailedException(e.Message);
        }
        catch (Exception e) when (e is not (RunSkippedException or OperationCanceledException))
        {
            log.LogError(e, "Backup of cluster {Cluster} failed unexpectedly", cluster);
            failures.Increment(cluster, "backup");
            status.Invalidate(cluster);
            throw new JobFailedException($"unexpected failure ({e.GetType().Name}: {e.Message.Split('\n')[0]}); details in the serve log");
        }
    }
}
