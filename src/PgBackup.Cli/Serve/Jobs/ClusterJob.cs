using Hangfire.Server;
using Microsoft.Extensions.Logging;
using PgBackup.Cli.Serve.Metrics;
using PgBackup.Cli.Serve.Policies;
using PgBackup.Cli.Serve.Status;
using PgBackup.Errors;
using PgBackup.Policies;
using Serilog.Context;

namespace PgBackup.Cli.Serve.Jobs;

/// <summary>
/// What every scheduled job of a cluster does around its engine call: log context, the current
/// valid policy, the cluster's lock for this kind of job, and engine errors turned into one-line
/// failure reasons (counted for /metrics). The job classes only say which engine call to make.
/// </summary>
internal sealed class ClusterJob(PolicyDirectory policies, BackupStatusReader status, JobFailureCounter failures, ILogger<ClusterJob> log)
{
    /// <param name="run">The engine call; returns the line the dashboard shows as the job's result.</param>
    public async Task<string> RunAsync(string kind, string cluster, PerformContext? context, Func<Policy, ILogger, Task<string>> run)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var jobId = LogContext.PushProperty("JobId", context.BackgroundJob.Id);
        using var clusterName = LogContext.PushProperty("Cluster", cluster);
        try
        {
            var policy = policies.Current.Valid.GetValueOrDefault(cluster)
                ?? throw new UsageException($"no valid policy for cluster '{cluster}' in {policies.Path}; see /api/status for policy errors");
            using var held = ClusterLock.Acquire(context.Storage, kind, cluster);
            log.LogInformation("{Kind} of cluster {Cluster} started by job {JobId}", kind, cluster, context.BackgroundJob.Id);
            return await run(policy, log);
        }
        catch (PgBackupException e)
        {
            log.LogError(e, "{Kind} of cluster {Cluster} failed: {Reason}", kind, cluster, e.Message);
            failures.Increment(cluster, kind);
            throw new JobFailedException(e.Message);
        }
        catch (Exception e) when (e is not (RunSkippedException or OperationCanceledException))
        {
            log.LogError(e, "{Kind} of cluster {Cluster} failed unexpectedly", kind, cluster);
            failures.Increment(cluster, kind);
            throw new JobFailedException($"unexpected failure ({e.GetType().Name}: {e.Message.Split('\n')[0]}); details in the serve log");
        }
        finally
        {
            status.Invalidate(cluster);
        }
    }
}
