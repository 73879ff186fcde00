using Hangfire.Common;
using Hangfire.States;
using PgBackup.Cli.Serve.Policies;

namespace PgBackup.Cli.Serve.Jobs;

/// <summary>
/// Applies <see cref="StartSpread"/>: a run that Hangfire's recurring job scheduler fires for a
/// job of ours is scheduled its cluster's delay later instead of enqueued at once. The delayed
/// job scheduler enqueues it then, on whichever instance polls first; the dashboard shows it as
/// Scheduled with the reason. A run started by hand ("Trigger now", the API) is not spread, and
/// neither are retries or requeues, as those are enqueued with other reasons.
/// </summary>
internal sealed class StartSpreadFilter(PolicyDirectory policies) : JobFilterAttribute, IElectStateFilter
{
    /// <summary>The reason Hangfire 1.8's RecurringJobScheduler gives the runs it fires on a cron (a manual trigger's differs).</summary>
    private const string FiredOnSchedule = "Triggered by recurring job scheduler";

    public void OnStateElection(ElectStateContext context)
    {
        if (context.CandidateState is not EnqueuedState { Reason: FiredOnSchedule }) return;
        if (context.GetJobParameter<string>("RecurringJobId") is not { } recurringJobId || ScheduledJob.FromId(recurringJobId) is not { } scheduled) return;
        if (policies.Current.Valid.GetValueOrDefault(scheduled.Cluster) is not { } policy || scheduled.Kind.Cron(policy.Schedules) is not { } cron) return;

        var delay = StartSpread.Delay(policy.Cluster, cron, policy.Schedules, DateTime.UtcNow);
        if (delay > TimeSpan.Zero)
            context.CandidateState = new ScheduledState(delay)
            {
                Reason = $"start spread by {delay.TotalSeconds:0}s of schedules.jitter {policy.Schedules.Jitter.TotalSeconds:0}s (fixed for cluster {policy.Cluster})",
            };
    }
}
