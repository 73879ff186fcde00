using System.CommandLine;
using PgBackup.Cli.Commands;
using PgBackup.Errors;
using PgBackup.Restore;

namespace PgBackup.Tests.Unit.Cli;

/// <summary>
/// `restore` takes one recovery target: a point (shared with restore-table), --immediate or --latest (the default).
/// `--standby` has none and keeps the standby's own configuration: every option that says otherwise is refused.
/// </summary>
public sealed class RestoreTargetOptionFacts
{
    private static RecoveryTarget TargetOf(params string[] args)
    {
        var options = new RestoreCommandOptions();
        var command = new RootCommand();
        foreach (var option in options.All) command.Options.Add(option);
        var parse = command.Parse(args);
        Assert.Empty(parse.Errors);
        return options.Target(parse);
    }

    [Theory]
    [InlineData("--time", "2026-11-27T14:05:00Z")]
    [InlineData("--lsn", "0/3000028")]
    [InlineData("--xid", "1234")]
    [InlineData("--name", "before-migration")]
    [InlineData("--immediate")]
    [InlineData("--latest")]
    [InlineData("--target-action", "pause")]
    [InlineData("--target-action", "promote")]
    [InlineData("--timeline", "2")]
    [InlineData("--start")]
    [InlineData("--port", "5433")]
    public void An_option_that_sets_a_target_or_how_the_server_runs_is_refused_with_standby(params string[] option)
    {
        var e = Assert.Throws<UsageException>(() => TargetOf(["--standby", "--pgdata", "/srv/pg", .. option]));
        Assert.Equal(2, e.ExitCode);
        Assert.StartsWith($"--standby cannot be combined with {option[0]}: a standby has no recovery target", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Several_refused_options_are_named_in_one_line()
    {
        var e = Assert.Throws<UsageException>(() => TargetOf("--standby", "--time", "2026-11-27T14:05:00Z", "--start"));
        Assert.StartsWith("--standby cannot be combined with --time or --start:", e.Message);
    }

    [Fact]
    public void Standby_alone_or_with_a_backup_delta_or_restore_command_is_a_standby_without_target_settings()
    {
        foreach (var args in new[] { new[] { "--standby" }, ["--standby", "--backup", "latest", "--delta", "--restore-command", "false", "--dry-run"] })
        {
            var target = TargetOf(args);
            Assert.True(target.IsStandby);
            Assert.Empty(target.Settings(PgBackup.Postgres.Lsn.Parse("0/3000028")));
        }
    }

    [Fact]
    public void Without_a_target_it_recovers_everything_archived() =>
        Assert.Equal(RecoveryTargetKind.Latest, TargetOf().Kind);

    [Theory]
    [InlineData(RecoveryTargetKind.Time, "--time", "2026-11-27T14:05:00Z")]
    [InlineData(RecoveryTargetKind.Lsn, "--lsn", "0/3000028")]
    [InlineData(RecoveryTargetKind.Xid, "--xid", "1234")]
    [InlineData(RecoveryTargetKind.Name, "--name", "before-migration")]
    [InlineData(RecoveryTargetKind.Immediate, "--immediate")]
    public void Each_target_option_gives_its_target(RecoveryTargetKind kind, params string[] args) =>
        Assert.Equal(kind, TargetOf(args).Kind);

    [Theory]
    [InlineData("give one recovery target, not --time and --immediate", "--time", "2026-11-27T14:05:00Z", "--immediate")]
    [InlineData("give one recovery target, not --lsn and --latest", "--lsn", "0/3000028", "--latest")]
    [InlineData("--tz only applies to --time", "--immediate", "--tz", "UTC")]
    [InlineData("--exclusive needs a --time, --lsn, --xid or --name target", "--immediate", "--exclusive")]
    [InlineData("--exclusive needs a --time, --lsn, --xid or --name target", "--exclusive")]
    [InlineData("--target-action needs a target; recovering all WAL always promotes", "--target-action", "pause")]
    public void Contradictions_are_refused_in_one_line(string message, params string[] args) =>
        Assert.Equal(message, Assert.Throws<UsageException>(() => TargetOf(args)).Message);

    [Fact]
    public void Exclusive_with_a_point_stops_before_it() =>
        Assert.True(TargetOf("--xid", "1234", "--exclusive").Exclusive);
}
