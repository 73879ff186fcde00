using Hangfire;
using Hangfire.Server;
using PgBackup.Backup;
using PgBackup.Policies;
using PgBackup.Repository.Catalog;

namespace PgBackup.Cli.Serve.Jobs;

/// <summary>The scheduled backups (full, diff, incr): a thin adapter from Hangfire to <see cref="BackupRun"/>.</summary>
internal sealed class BackupJob(ClusterJob job)
{
    /// <summary>Backups wait in their own queue, served by a Hangfire server with `--max-concurrent-backups` workers per instance.</summary>
    public const string Queue = "backup";

    // Hangfire's default is ten retries over a day; a backup retried twice, 5 and 30 minutes later,
    // still lands in the night and leaves a failure visible by morning.
    [AutomaticRetry(Attempts = 2, DelaysInSeconds = [300, 1800], OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    [JobDisplayName("{1} backup {0}")]
    [Queue(Queue)]
    public Task<string> RunAsync(string cluster, BackupType type, PerformContext? context, CancellationToken ct) =>
        // One lock for every type: two backups of one cluster never run at once.
        job.RunAsync("backup", cluster, context, async (policy, log) =>
        {
            var manifest = await new BackupRun(policy, log).RunAsync(type, policy.Backup.Retries, ct);
            return $"{manifest.Type.Name()} backup {manifest.Id}{(manifest.Reference is { } r ? " on " + r : "")} from {manifest.Source.Member}: {ByteSize.Format(manifest.DatabaseSize)} of data, {ByteSize.Format(manifest.StoredSize)} stored, " +
                $"{(manifest.EndTime - manifest.StartTime).TotalSeconds:0.0}s";
        });
}
