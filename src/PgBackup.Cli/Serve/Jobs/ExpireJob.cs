using Hangfire;
using Hangfire.Server;
using PgBackup.Policies;
using PgBackup.Retention;

namespace PgBackup.Cli.Serve.Jobs;

/// <summary>The scheduled expire: <see cref="ExpireRun"/>, not retried (the next run does the same work).</summary>
internal sealed class ExpireJob(ClusterJob job)
{
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("expire {0}")]
    public Task<string> RunAsync(string cluster, PerformContext? context, CancellationToken ct) =>
        job.RunAsync("expire", cluster, context, async (policy, log) =>
        {
            var plan = await new ExpireRun(policy, log).RunAsync(dryRun: false, ct);
            return $"expired {plan.Expired.Count()} backup(s), {plan.Debris.Count} debris folder(s), {plan.Wal.Count} WAL object(s): {ByteSize.Format(plan.BytesFreed)} freed; {plan.Kept.Count()} backup(s) kept";
        });
}
