using Hangfire;
using Hangfire.Server;
using PgBackup.Errors;
using PgBackup.Policies;
using PgBackup.Verify;

namespace PgBackup.Cli.Serve.Jobs;

/// <summary>The scheduled verify of the repository's own objects and the newest backup with its WAL window: <see cref="VerifyRun"/>; any fault fails the job.</summary>
internal sealed class VerifyJob(ClusterJob job)
{
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("verify {0}")]
    public Task<string> RunAsync(string cluster, PerformContext? context, CancellationToken ct) =>
        job.RunAsync("verify", cluster, context, async (policy, _) =>
        {
            using var repository = policy.OpenRepository();
            var outcome = await VerifyRun.RunAsync(repository, "latest", all: false, null, null, ct);
            if (outcome.Faults.Count > 0)
                throw new RepositoryException($"verify found {outcome.Faults.Count} fault(s): {string.Join("; ", outcome.Faults.Take(3))}");
            return outcome.Backups is [var report]
                ? $"backup {report.BackupId} and {report.ArchivedWalSegments} archived WAL segment(s) verified: {ByteSize.Format(report.BytesRead)} read in {report.Duration.TotalSeconds:0.0}s"
                : "the repository's own objects verified; it holds no backup yet";
        });
}
