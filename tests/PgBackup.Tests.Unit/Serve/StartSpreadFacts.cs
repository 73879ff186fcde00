using PgBackup.Cli.Serve.Jobs;
using PgBackup.Policies;

namespace PgBackup.Tests.Unit.Serve;

/// <summary>Where in schedules.jitter each cluster's scheduled jobs start.</summary>
public sealed class StartSpreadFacts
{
    private static readonly DateTime TwoAm = new(2026, 12, 7, 2, 0, 0, DateTimeKind.Utc);

    private static ScheduleSettings Schedules(TimeSpan jitter, string timeZone = "UTC") =>
        new("0 2 * * *", null, null, null, timeZone, null, null, jitter);

    [Fact]
    public void A_hundred_clusters_on_one_nightly_cron_start_spread_over_the_window_each_at_its_own_fixed_offset()
    {
        var jitter = TimeSpan.FromMinutes(10);
        var delays = Enumerable.Range(0, 100).Select(i => StartSpread.Delay($"cluster-{i}", "0 2 * * *", Schedules(jitter), TwoAm)).ToList();

        Assert.All(delays, d => Assert.InRange(d, TimeSpan.Zero, jitter - TimeSpan.FromSeconds(1)));
        Assert.True(delays.Distinct().Count() >= 90, $"only {delays.Distinct().Count()} distinct start seconds");
        Assert.True(delays.Max() - delays.Min() > TimeSpan.FromMinutes(8));
        Assert.Equal(delays[7], StartSpread.Delay("cluster-7", "0 2 * * *", Schedules(jitter), TwoAm.AddDays(1)));
    }

    [Fact]
    public void No_jitter_starts_on_the_minute()
    {
        Assert.Equal(TimeSpan.Zero, StartSpread.Delay("cluster-1", "0 2 * * *", Schedules(TimeSpan.Zero), TwoAm));
    }

    [Fact]
    public void A_frequent_cron_is_spread_over_at_most_a_quarter_of_the_time_to_its_next_run()
    {
        var delays = Enumerable.Range(0, 50).Select(i => StartSpread.Delay($"c{i}", "* * * * *", Schedules(TimeSpan.FromMinutes(10)), TwoAm)).ToList();

        Assert.All(delays, d => Assert.InRange(d, TimeSpan.Zero, TimeSpan.FromSeconds(15)));
        Assert.True(delays.Distinct().Count() >= 5);
    }

    [Fact]
    public void The_next_run_is_found_in_the_policy_s_time_zone()
    {
        // 02:00 in Berlin fires at 01:00 UTC and runs next a day later: the whole hour of jitter applies.
        // Read in UTC, the next run would be an hour away and the spread at most a quarter of it.
        var firedUtc = new DateTime(2026, 12, 7, 1, 0, 0, DateTimeKind.Utc);
        var widest = Enumerable.Range(0, 50).Select(i => StartSpread.Delay($"c{i}", "0 2 * * *", Schedules(TimeSpan.FromHours(1), "Europe/Berlin"), firedUtc)).Max();

        Assert.InRange(widest, TimeSpan.FromMinutes(30), TimeSpan.FromHours(1));
    }

    [Fact]
    public void The_fraction_of_a_cluster_name_is_stable_across_processes()
    {
        // SHA-256 of the name, not string.GetHashCode (randomized per process): a restart keeps every offset.
        Assert.Equal(StartSpread.Fraction("sandbox"), StartSpread.Fraction("sandbox"));
        Assert.InRange(StartSpread.Fraction("sandbox"), 0, 1);
        Assert.NotEqual(StartSpread.Fraction("sandbox"), StartSpread.Fraction("sandbox2"));
    }
}
