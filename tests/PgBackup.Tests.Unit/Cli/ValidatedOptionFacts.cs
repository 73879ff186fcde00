using System.CommandLine;
using PgBackup.Cli.Commands;
using PgBackup.Cli.Hosting;

namespace PgBackup.Tests.Unit.Cli;

public sealed class ValidatedOptionFacts
{
    [Theory]
    [InlineData("-5", "--max-lag '-5' is not a number of seconds from 1 to 100")]
    [InlineData("0", "--max-lag '0' is not a number of seconds from 1 to 100")]
    [InlineData("101", "--max-lag '101' is not a number of seconds from 1 to 100")]
    [InlineData("abc", "--max-lag 'abc' is not a number of seconds from 1 to 100")]
    [InlineData("1.5", "--max-lag '1.5' is not a number of seconds from 1 to 100")]
    public void A_whole_number_out_of_bounds_or_unparsable_is_one_error_in_words(string value, string expected)
    {
        var option = ValidatedOption.WholeNumber("--max-lag", 1, 100, 30, "a number of seconds", "lag");
        var parse = new RootCommand { option }.Parse(["--max-lag", value]);
        Assert.Equal(expected, Assert.Single(parse.Errors).Message);
    }

    [Fact]
    public void A_whole_number_within_bounds_or_absent_parses()
    {
        var option = ValidatedOption.WholeNumber("--max-lag", 1, 100, 30, "a number of seconds", "lag");
        var root = new RootCommand { option };
        Assert.Equal(100, root.Parse(["--max-lag", "100"]).GetValue(option));
        Assert.Equal(30, root.Parse([]).GetValue(option));
    }

    [Fact]
    public void An_optional_number_is_null_when_absent_and_unbounded_above_says_or_more()
    {
        var option = ValidatedOption.OptionalWholeNumber("--timeline", 1, int.MaxValue, "a timeline number", "tl");
        var root = new RootCommand { option };
        Assert.Null(root.Parse([]).GetValue(option));
        Assert.Equal(7, root.Parse(["--timeline", "7"]).GetValue(option));
        Assert.Equal("--timeline 'abc' is not a timeline number, 1 or more", Assert.Single(root.Parse(["--timeline", "abc"]).Errors).Message);
    }

    [Fact]
    public void A_choice_outside_the_list_is_one_line_naming_the_choices()
    {
        var option = ValidatedOption.OneOf("--on-shutdown", "cancel", ["cancel", "finish"], "mode");
        var root = new RootCommand { option };
        Assert.Equal("--on-shutdown 'later' is not one of cancel, finish", Assert.Single(root.Parse(["--on-shutdown", "later"]).Errors).Message);
        Assert.Equal("finish", root.Parse(["--on-shutdown", "finish"]).GetValue(option));
        Assert.Equal("cancel", root.Parse([]).GetValue(option));
    }

    public static TheoryData<string, string[], string> BadValues => new()
    {
        { "restore", ["--policy", "p", "--timeline", "abc"], "--timeline 'abc'" },
        { "restore", ["--policy", "p", "--timeline", "0"], "--timeline '0'" },
        { "restore", ["--policy", "p", "--port", "70000"], "--port '70000'" },
        { "restore", ["--policy", "p", "--target-action", "stop"], "--target-action 'stop'" },
        { "check", ["--policy", "p", "--max-lag", "-5"], "--max-lag '-5'" },
        { "backup", ["--policy", "p", "--retry", "-1"], "--retry '-1'" },
        { "backup", ["--policy", "p", "--retry", "many"], "--retry 'many'" },
        { "archive", ["--policy", "p", "--status-interval", "0"], "--status-interval '0'" },
        { "serve", ["--policies", "d", "--workers", "0"], "--workers '0'" },
        { "serve", ["--policies", "d", "--shutdown-timeout", "-1"], "--shutdown-timeout '-1'" },
        { "serve", ["--policies", "d", "--on-shutdown", "later"], "--on-shutdown 'later'" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void Every_verb_refuses_a_bad_number_or_choice_naming_the_option(string verb, string[] args, string named)
    {
        var command = verb switch
        {
            "restore" => RestoreCommand.Create(),
            "check" => CheckCommand.Create(),
            "backup" => BackupCommand.Create(),
            "archive" => ArchiveCommand.Create(),
            _ => ServeCommand.Create(),
        };
        var error = Assert.Single(command.Parse(args).Errors).Message;
        Assert.StartsWith(named + " is not ", error);
        Assert.DoesNotContain("System.", error);
        Assert.DoesNotContain("\n", error);
    }
}
