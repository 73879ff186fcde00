namespace PgBackup.Backup;

/// <summary>
/// The pauses between looks for a qualifying source: doubling from one second, each at most ten
/// (Patroni's default loop_wait, so a finished election is seen promptly), together exactly the budget.
/// </summary>
public static class RetryBackoff
{
    private static readonly TimeSpan First = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Longest = TimeSpan.FromSeconds(10);

    public static IEnumerable<TimeSpan> Delays(TimeSpan budget)
    {
        var left = budget;
        for (var next = First; left > TimeSpan.Zero; next = TimeSpan.FromTicks(Math.Min(next.Ticks * 2, Longest.Ticks)))
        {
            var delay = next < left ? next : left;
            yield return delay;
            left -= delay;
        }
    }
}
