using PgBackup.Errors;
using PgBackup.Postgres;
using PgBackup.Restore;

namespace PgBackup.Tests.Unit.Restore;

public sealed class RecoveryTargetFacts
{
    private const RecoveryTargetAction Promote = RecoveryTargetAction.Promote;

    [Theory]
    [InlineData("2026-11-27T14:05:00Z", "2026-11-27 14:05:00.000000+00:00")]
    [InlineData("2026-11-27 14:05:00+01:00", "2026-11-27 13:05:00.000000+00:00")]
    [InlineData("2026-11-27T14:05:00.123456-05:00", "2026-11-27 19:05:00.123456+00:00")]
    public void A_time_with_a_zone_is_normalised_to_utc(string text, string expected)
    {
        var t = RecoveryTarget.AtTime(text, null, false, Promote);
        Assert.Equal(expected, t.Value);
        Assert.Contains($"recovery_target_time = '{expected}'", t.Settings(null));
    }

    [Fact]
    public void A_time_without_a_zone_is_refused_with_a_hint()
    {
        var e = Assert.Throws<UsageException>(() => RecoveryTarget.AtTime("2026-11-27 14:05:00", null, false, Promote));
        Assert.Contains("has no time zone", e.Message);
        Assert.Contains("--tz", e.Message);
    }

    [Fact]
    public void A_time_without_a_zone_takes_the_given_tz_including_daylight_saving()
    {
        Assert.Equal("2026-07-01 12:00:00.000000+00:00", RecoveryTarget.AtTime("2026-07-01 14:00:00", "Europe/Berlin", false, Promote).Value);
        Assert.Equal("2026-12-01 13:00:00.000000+00:00", RecoveryTarget.AtTime("2026-12-01 14:00:00", "Europe/Berlin", false, Promote).Value);
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("2026-13-01T00:00:00Z")]
    [InlineData("14:05")]
    public void A_malformed_time_is_refused(string text) =>
        Assert.Contains("not an ISO 8601 time", Assert.Throws<UsageException>(() => RecoveryTarget.AtTime(text, "UTC", false, Promote)).Message);

    [Fact]
    public void An_unknown_tz_is_refused() =>
        Assert.Contains("not a known time zone", Assert.Throws<UsageException>(() => RecoveryTarget.AtTime("2026-11-27 14:05:00", "Mars/Base", false, Promote)).Message);

    [Fact]
    public void Exclusive_targets_stop_just_before()
    {
        var t = RecoveryTarget.AtLsn("0/3000028", exclusive: true, RecoveryTargetAction.Pause);
        Assert.Equal(["recovery_target_lsn = '0/3000028'", "recovery_target_inclusive = off", "recovery_target_action = 'pause'"], t.Settings(null));
    }

    [Theory]
    [InlineData("0/0")]
    [InlineData("3000028")]
    [InlineData("0/XYZ")]
    public void A_bad_lsn_is_refused(string text) =>
        Assert.Throws<UsageException>(() => RecoveryTarget.AtLsn(text, false, Promote));

    [Fact]
    public void Xid_and_name_targets_write_their_settings()
    {
        Assert.Contains("recovery_target_xid = '1234'", RecoveryTarget.AtXid("1234", false, Promote).Settings(null));
        Assert.Contains("recovery_target_name = 'before''migration'", RecoveryTarget.AtName("before'migration", false, Promote).Settings(null));
        Assert.Throws<UsageException>(() => RecoveryTarget.AtXid("-1", false, Promote));
    }

    [Fact]
    public void Immediate_stops_after_the_backups_last_record_when_the_manifest_knows_it()
    {
        Assert.Equal(["recovery_target_lsn = '1/755C2E8'", "recovery_target_inclusive = on", "recovery_target_action = 'pause'"],
            RecoveryTarget.Immediate(RecoveryTargetAction.Pause).Settings(Lsn.Parse("1/755C2E8")));
    }

    [Fact]
    public void Immediate_stops_at_consistency_for_backups_older_than_their_proof()
    {
        Assert.Equal(["recovery_target = 'immediate'", "recovery_target_action = 'promote'"], RecoveryTarget.Immediate().Settings(null));
    }
}
