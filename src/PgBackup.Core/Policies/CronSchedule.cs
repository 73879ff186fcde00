using Cronos;

namespace PgBackup.Policies;

/// <summary>
/// A policy's cron text read as Hangfire reads it: five fields, or six with seconds first. The
/// loader rejects what this cannot parse, so Hangfire never sees a schedule it would refuse.
/// </summary>
public static class CronSchedule
{
    /// <exception cref="CronFormatException">Not a cron expression.</exception>
    public static CronExpression Parse(string cron) =>
        CronExpression.Parse(cron, cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
}
