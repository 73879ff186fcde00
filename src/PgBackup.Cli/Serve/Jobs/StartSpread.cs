using System.Security.Cryptography;
using System.Text;
using PgBackup.Policies;

namespace PgBackup.Cli.Serve.Jobs;

/// <summary>
/// How long after its cron fires a cluster's scheduled job starts: a fixed fraction of
/// <c>schedules.jitter</c> taken from the cluster's name, so a hundred clusters on `0 2 * * *`
/// start spread over the window, each at the same offset every night (predictable, and the jobs
/// of one cluster keep their order). Never more than a quarter of the time to the schedule's next
/// run, so a frequent cron is spread less rather than pushed into its next run.
/// </summary>
internal static class StartSpread
{
    public static TimeSpan Delay(string cluster, string cron, ScheduleSettings schedules, DateTime firedUtc)
    {
        if (schedules.Jitter <= TimeSpan.Zero) return TimeSpan.Zero;
        var zone = TimeZoneInfo.FindSystemTimeZoneById(schedules.TimeZone);
        var window = schedules.Jitter;
        if (CronSchedule.Parse(cron).GetNextOccurrence(firedUtc, zone) is { } next)
            window = TimeSpan.FromTicks(Math.Min(window.Ticks, (next - firedUtc).Ticks / 4));
        return TimeSpan.FromSeconds(Math.Floor(window.TotalSeconds * Fraction(cluster)));
    }

    /// <summary>Where in [0, 1) the cluster falls; SHA-256, as string.GetHashCode differs per process.</summary>
    internal static double Fraction(string cluster)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(cluster));
        return (BitConverter.ToUInt64(hash, 0) >> 11) / (double)(1UL << 53);
    }
}
