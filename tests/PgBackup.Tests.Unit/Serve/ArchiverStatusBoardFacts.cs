using PgBackup.Cli.Serve.Archiver;

namespace PgBackup.Tests.Unit.Serve;

public sealed class ArchiverStatusBoardFacts
{
    private static readonly DateTimeOffset Crashed = new(2026, 12, 7, 18, 0, 0, TimeSpan.Zero);

    private static ArchiverStatus State(string state, string? error = null) =>
        new(state, null, null, null, null, null, error, Crashed.AddSeconds(5), LastErrorAt: error is null ? null : Crashed);

    [Fact]
    public void A_restarted_archiver_keeps_the_crash_as_its_error_until_it_streams_then_as_history()
    {
        var board = new ArchiverStatusBoard();
        var main = board.For("main");
        main.Report(State(ArchiverStatus.Failed, "connection refused"));

        main.Report(State("reconnecting"));
        Assert.Equal("connection refused", board.Get("main")!.LastError);
        Assert.Equal(Crashed, board.Get("main")!.LastErrorAt);

        main.Report(State("streaming"));
        var streaming = board.Get("main")!;
        Assert.Null(streaming.LastError);
        Assert.Equal("connection refused", streaming.PreviousError);
        Assert.Equal(Crashed, streaming.PreviousErrorAt);

        main.Report(State("streaming"));
        Assert.Equal("connection refused", board.Get("main")!.PreviousError);
    }

    [Fact]
    public void The_archivers_own_history_wins_over_an_older_one()
    {
        var board = new ArchiverStatusBoard();
        var main = board.For("main");
        main.Report(State(ArchiverStatus.Failed, "old"));
        main.Report(State("streaming"));
        main.Report(State("streaming") with { PreviousError = "newer", PreviousErrorAt = Crashed.AddMinutes(1) });
        Assert.Equal("newer", board.Get("main")!.PreviousError);
    }
}
