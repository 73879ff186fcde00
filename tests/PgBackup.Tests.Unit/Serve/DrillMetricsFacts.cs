using PgBackup.Cli.Serve.Metrics;
using PgBackup.Drill;

namespace PgBackup.Tests.Unit.Serve;

public sealed class DrillMetricsFacts
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Metrics_show_the_last_drills_time_outcome_and_recovery_time()
    {
        var passed = Report("main", success: true, usable: 42.37);
        var failed = Report("other", success: false, usable: null);
        var text = MetricsEndpoint.Render([], 0, [], Now, [passed, failed]);
        Assert.Contains("pgbackup_last_drill_timestamp_seconds{cluster=\"main\"} 1795779900", text);
        Assert.Contains("pgbackup_last_drill_success{cluster=\"main\"} 1", text);
        Assert.Contains("pgbackup_last_drill_success{cluster=\"other\"} 0", text);
        Assert.Contains("pgbackup_last_drill_recovery_seconds{cluster=\"main\"} 42.4", text);
        Assert.DoesNotContain("pgbackup_last_drill_recovery_seconds{cluster=\"other\"}", text);
    }

    private static DrillReport Report(string cluster, bool success, double? usable) =>
        new(cluster, "20261127T020000Z", Now.AddHours(-10), Now.AddMinutes(-16), Now.AddMinutes(-15), success, "the end of the archived WAL",
            "0/9000000", "0/9000028", 2, 20.1, 20.0, usable, 40 << 20, 3, [], [new DrillCheck("restore", success, "")], null, null);
}
