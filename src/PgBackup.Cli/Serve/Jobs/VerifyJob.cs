using Hangfire;
using Hangfire.Server;
using PgBackup.Backup;
using PgBackup.Errors;
using PgBackup.Policies;
using PgBackup.Verify;

namespace PgBackup.Cli.Serve.Jobs;

/// <summary>The scheduled verify of the newest backup and its WAL window: <see cref="BackupVerifier"/>; any fault fails the job.</summary>
internal sealed class VerifyJob(ClusterJob job)
{
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("verify {0}")]
    public Task<string> RunAsync(string cluster, PerformContext? context, CancellationToken ct) =>
        job.RunAsync("verify", cluster, context, async (policy, _) =>
        {
            using var repository = policy.OpenRepository();
            var report = await new BackupVerifier(repository).VerifyAsync(await BackupCatalog.ResolveAsync(repository, "latest", ct), ct);
            return report.Ok
                ? $"backup {report.BackupId} and {report.ArchivedWalSegments} archived WAL segment(s) verified: {ByteSize.Format(report.BytesRead)} read in {report.Duration.TotalSeconds:0.0}s"
                : throw new RepositoryException($"verify found {report.Faults.Count} fault(s) in backup {report.BackupId}: {string.Join("; ", report.Faults.Take(3))}");
        });
}
