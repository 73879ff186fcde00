using PgBackup.Postgres;

namespace PgBackup.Tests.Unit.Postgres;

public class TimelineHistoryFacts
{
    /// <summary>00000002.history as PostgreSQL 15 wrote it after pg_ctl promote (TIMELINE_HISTORY 2).</summary>
    private const string PromotedOnce = "1\t0/3000000\tno recovery target specified\n";

    /// <summary>A history after three promotions, as PostgreSQL writes it: each file repeats its parent's lines.</summary>
    private const string PromotedThrice =
        "1\t0/3000000\tno recovery target specified\n" +
        "\n" +
        "2\t0/5000148\tno recovery target specified\n" +
        "\n" +
        "# a comment someone added\n" +
        "3\t1/A0000000\tat restore point \"before_upgrade\"\n";

    [Fact]
    public void Parses_a_history_file_as_postgres_writes_it()
    {
        var history = TimelineHistory.Parse(2, PromotedOnce);
        var entry = Assert.Single(history.Entries);
        Assert.Equal(new TimelineHistoryEntry(1, Lsn.Parse("0/3000000"), "no recovery target specified"), entry);
    }

    [Fact]
    public void Ignores_comments_and_blank_lines()
    {
        var history = TimelineHistory.Parse(4, PromotedThrice);
        Assert.Equal([1u, 2u, 3u], history.Entries.Select(e => e.Timeline));
        Assert.Equal("at restore point \"before_upgrade\"", history.Entries[2].Reason);
    }

    [Theory]
    [InlineData("0/0", 1u)]
    [InlineData("0/2FFFFFF", 1u)]
    [InlineData("0/3000000", 2u)] // the switch point already belongs to the new timeline
    [InlineData("0/5000147", 2u)]
    [InlineData("0/5000148", 3u)]
    [InlineData("1/A0000000", 4u)]
    [InlineData("FF/0", 4u)]
    public void Tells_which_timeline_was_current_at_an_lsn(string lsn, uint timeline) =>
        Assert.Equal(timeline, TimelineHistory.Parse(4, PromotedThrice).TimelineAt(Lsn.Parse(lsn)));

    [Fact]
    public void Knows_where_each_parent_was_left()
    {
        var history = TimelineHistory.Parse(4, PromotedThrice);
        Assert.Equal(Lsn.Parse("0/5000148"), history.SwitchPointOf(2));
        Assert.Null(history.SwitchPointOf(4));
        Assert.Throws<ArgumentException>(() => history.SwitchPointOf(7));
    }

    [Fact]
    public void Walks_the_path_from_an_ancestor_to_a_descendant()
    {
        var path = TimelineHistory.Parse(4, PromotedThrice).Path(2, 4);
        Assert.Equal(
            [
                new TimelineSpan(2, Lsn.Parse("0/3000000"), Lsn.Parse("0/5000148")),
                new TimelineSpan(3, Lsn.Parse("0/5000148"), Lsn.Parse("1/A0000000")),
                new TimelineSpan(4, Lsn.Parse("1/A0000000"), null),
            ],
            path);
        Assert.Equal([new TimelineSpan(1, Lsn.Invalid, null)], TimelineHistory.Parse(4, PromotedThrice).Path(1, 1));
        Assert.Throws<ArgumentException>(() => TimelineHistory.Parse(4, PromotedThrice).Path(3, 2));
    }

    [Fact]
    public void Timeline_one_has_an_empty_history()
    {
        Assert.Equal(1u, TimelineHistory.ForFirstTimeline.TimelineAt(Lsn.Parse("5/0")));
        Assert.Empty(TimelineHistory.ForFirstTimeline.Entries);
    }

    [Theory]
    [InlineData("1 0/3000000")] // PostgreSQL's sscanf("%u\t%X/%X") takes any whitespace and no reason
    public void Accepts_spaces_as_separators(string content) => Assert.Single(TimelineHistory.Parse(2, content).Entries);

    [Theory]
    [InlineData("x\t0/3000000\treason")]
    [InlineData("1\t03000000\treason")]
    [InlineData("2\t0/3000000\tr\n1\t0/4000000\tr")] // timelines must increase
    [InlineData("3\t0/3000000\tr")] // parent must be below the file's own timeline
    public void Rejects_corrupt_files(string content) => Assert.Throws<FormatException>(() => TimelineHistory.Parse(3, content));

    [Fact]
    public void WAL_ending_exactly_at_a_switch_point_lies_on_the_old_timeline_of_the_history()
    {
        var history = TimelineHistory.Parse(4, PromotedThrice);

        Assert.True(history.IncludesWalUpTo(2, Lsn.Parse("0/5000148")));
        Assert.False(history.IncludesWalUpTo(2, Lsn.Parse("0/5000150")));
        Assert.True(history.IncludesWalUpTo(4, Lsn.Parse("9/0")));
        Assert.False(history.IncludesWalUpTo(5, Lsn.Parse("0/1")));
        Assert.Equal(3u, history.TimelineAt(Lsn.Parse("0/5000148")));
    }

    [Fact]
    public void A_page_belongs_to_a_history_only_on_its_timeline_and_before_that_timeline_was_left()
    {
        var history = TimelineHistory.Parse(4, PromotedThrice);

        Assert.Null(history.PageMismatch(2, Lsn.Parse("0/5000000")));
        Assert.Null(history.PageMismatch(4, Lsn.Parse("1/A0000000")));
        Assert.Contains("past 0/5000148", history.PageMismatch(2, Lsn.Parse("0/5002000")));
        Assert.Contains("not on the history of timeline 4", history.PageMismatch(7, Lsn.Parse("0/5000000")));
    }
}
