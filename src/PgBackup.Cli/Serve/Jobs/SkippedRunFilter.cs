using Hangfire.Common;
using Hangfire.States;

namespace PgBackup.Cli.Serve.Jobs;

/// <summary>
/// A run skipped because the cluster is busy is neither a failure nor worth a retry: it becomes
/// Deleted with the reason in its history. Runs before <see cref="Hangfire.AutomaticRetryAttribute"/>
/// (order 20), which then sees no failure to retry.
/// </summary>
internal sealed class SkippedRunFilter : JobFilterAttribute, IElectStateFilter
{
    public SkippedRunFilter() => Order = 0;

    public void OnStateElection(ElectStateContext context)
    {
        if (context.CandidateState is FailedState { Exception: RunSkippedException skipped })
            context.CandidateState = new DeletedState { Reason = skipped.Message };
    }
}
