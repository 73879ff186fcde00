using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.Logging;
using PgBackup.Cli.Serve.Policies;

namespace PgBackup.Cli.Serve.Jobs;

/// <summary>
/// Keeps Hangfire's recurring jobs equal to what the valid policies schedule: added or updated
/// for each policy cron, removed (with a log line) when a policy, or its cron, goes away or breaks.
/// Instances sharing a storage must share the policy directory, or they undo each other's jobs.
/// </summary>
internal sealed class RecurringJobSync(JobStorage storage, IRecurringJobManager recurring, IBackgroundJobClient jobs, ILogger<RecurringJobSync> log)
{
    private readonly HashSet<PolicyError> _reported = [];

    public void Apply(PolicySet policies)
    {
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var policy in policies.Valid.Values)
        {
            var timeZone = TimeZoneInfo.FindSystemTimeZoneById(policy.Schedules.TimeZone);
            foreach (var kind in ScheduledJob.All)
            {
                if (kind.Cron(policy.Schedules) is not { } cron) continue;
                var id = kind.IdFor(policy.Cluster);
                recurring.AddOrUpdate(id, kind.Create(policy.Cluster), cron, new RecurringJobOptions { TimeZone = timeZone });
                wanted.Add(id);
                log.LogInformation("Scheduled {JobKind} of cluster {Cluster} at '{Cron}' ({TimeZone}) as recurring job {RecurringJob}",
                    kind.Kind, policy.Cluster, cron, timeZone.Id, id);
            }
        }
        using var connection = storage.GetConnection();
        foreach (var stale in connection.GetRecurringJobs().Select(j => j.Id).Where(id => ScheduledJob.IsOurs(id) && !wanted.Contains(id)))
        {
            recurring.RemoveIfExists(stale);
            log.LogWarning("Removed recurring job {RecurringJob}: no valid policy schedules it any more", stale);
        }
        ReportNewErrors(policies.Errors);
    }

    /// <summary>One failed dashboard job per distinct error, not one per reload.</summary>
    private void ReportNewErrors(IReadOnlyList<PolicyError> errors)
    {
        lock (_reported)
        {
            foreach (var error in errors.Where(e => !_reported.Contains(e)))
                jobs.Enqueue<PolicyErrorJob>(j => j.Report(Path.GetFileName(error.File), error.Reason));
            _reported.Clear();
            _reported.UnionWith(errors);
        }
    }
}
