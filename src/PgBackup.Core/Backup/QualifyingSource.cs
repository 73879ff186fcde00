using Microsoft.Extensions.Logging;
using PgBackup.Cluster;
using PgBackup.Errors;

namespace PgBackup.Backup;

/// <summary>
/// Chooses a backup source, waiting for one to qualify when none does yet: during a failover the
/// cluster has no qualifying replica for as long as Patroni takes to elect a leader and the
/// replicas take to follow it. A refused login is not waited out; it is configuration.
/// </summary>
internal static class QualifyingSource
{
    /// <returns>The chosen member's verdict: the member, and why it was chosen.</returns>
    public static async Task<MemberVerdict> ChooseAsync(SourceSelector selector, IReadOnlySet<string> exclude, TimeSpan wait, ILogger log, CancellationToken ct)
    {
        using var delays = RetryBackoff.Delays(wait).GetEnumerator();
        while (true)
        {
            try
            {
                return (await selector.ChooseAsync(exclude, ct).ConfigureAwait(false)).Decision.Chosen!;
            }
            catch (SourceUnavailableException e) when (e is not LoginRefusedException)
            {
                if (wait == TimeSpan.Zero)
                    throw;
                if (!delays.MoveNext())
                    throw new SourceUnavailableException($"{e.Message} (after waiting {wait.TotalSeconds:0} s, backup.retry_wait, for a member to qualify)", e);
                log.LogWarning("{Reason}; looking again in {Delay} s", e.Message, delays.Current.TotalSeconds);
                await Task.Delay(delays.Current, ct).ConfigureAwait(false);
            }
        }
    }
}
