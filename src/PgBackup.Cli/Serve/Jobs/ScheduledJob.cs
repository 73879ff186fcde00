using Hangfire.Common;
using PgBackup.Policies;
using PgBackup.Repository.Catalog;

namespace PgBackup.Cli.Serve.Jobs;

/// <summary>
/// A kind of job a policy schedules: which cron of the policy drives it and the job method it calls.
/// Recurring job ids are "kind:cluster", stable across restarts and shared by every instance on one storage.
/// </summary>
internal sealed record ScheduledJob(string Kind, Func<ScheduleSettings, string?> Cron, Func<string, Job> Create)
{
    /// <summary>Every job `serve` schedules, one line each.</summary>
    public static readonly IReadOnlyList<ScheduledJob> All =
    [
        new("backup", s => s.Full, cluster => Job.FromExpression<BackupJob>(j => j.RunAsync(cluster, BackupType.Full, null, CancellationToken.None))),
        new("diff", s => s.Diff, cluster => Job.FromExpression<BackupJob>(j => j.RunAsync(cluster, BackupType.Diff, null, CancellationToken.None))),
        new("incr", s => s.Incr, cluster => Job.FromExpression<BackupJob>(j => j.RunAsync(cluster, BackupType.Incr, null, CancellationToken.None))),
        new("expire", s => s.Expire, cluster => Job.FromExpression<ExpireJob>(j => j.RunAsync(cluster, null, CancellationToken.None))),
        new("verify", s => s.Verify, cluster => Job.FromExpression<VerifyJob>(j => j.RunAsync(cluster, null, CancellationToken.None))),
        new("drill", s => s.Drill, cluster => Job.FromExpression<DrillJob>(j => j.RunAsync(cluster, null, CancellationToken.None))),
    ];

    public string IdFor(string cluster) => $"{Kind}:{cluster}";

    /// <summary>The distributed lock that keeps two runs of this job for one cluster apart, across instances.</summary>
    public static string LockFor(string kind, string cluster) => $"pgbackup:{kind}:{cluster}";

    public static bool IsOurs(string recurringJobId) => FromId(recurringJobId) is not null;

    /// <summary>The kind and cluster a recurring job id of ours names; null for any other id.</summary>
    public static (ScheduledJob Kind, string Cluster)? FromId(string recurringJobId) =>
        All.FirstOrDefault(j => recurringJobId.StartsWith(j.Kind + ":", StringComparison.Ordinal)) is { } kind
            ? (kind, recurringJobId[(kind.Kind.Length + 1)..])
            : null;
}
