using PgBackup.Cli.Hosting;
using Serilog.Core;
using Serilog.Events;
using Serilog.Parsing;

namespace PgBackup.Tests.Unit.Cli;

public sealed class DeferredConsoleSinkFacts
{
    private sealed class Collected : ILogEventSink
    {
        public List<string> Messages { get; } = [];
        public void Emit(LogEvent logEvent) => Messages.Add(logEvent.MessageTemplate.Text);
    }

    private static LogEvent Warning(string text) =>
        new(DateTimeOffset.UtcNow, LogEventLevel.Warning, null, new MessageTemplateParser().Parse(text), []);

    [Fact]
    public void Nothing_reaches_the_terminal_before_the_outcome_is_known()
    {
        var console = new Collected();
        var sink = new DeferredConsoleSink(console);
        sink.Emit(Warning("probe of m1 failed"));
        Assert.Empty(console.Messages);
    }

    [Fact]
    public void A_verb_that_succeeds_shows_its_warnings_in_order()
    {
        var console = new Collected();
        var sink = new DeferredConsoleSink(console);
        sink.Emit(Warning("first"));
        sink.Emit(Warning("second"));
        sink.Release(succeeded: true);
        Assert.Equal(["first", "second"], console.Messages);
    }

    [Fact]
    public void A_verb_that_fails_shows_none_of_them()
    {
        var console = new Collected();
        var sink = new DeferredConsoleSink(console);
        sink.Emit(Warning("probe of m1 failed"));
        sink.Emit(Warning("probe of m2 failed"));
        sink.Release(succeeded: false);
        Assert.Empty(console.Messages);
    }
}
