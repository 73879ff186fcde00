using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Wal;

/// <summary>The engine's log in the test output, so a failing failover test shows what the archiver did.</summary>
internal sealed class XunitLogger(ITestOutputHelper output) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            output.WriteLine($"{DateTime.Now:HH:mm:ss.fff} {logLevel}: {formatter(state, exception)}");
        }
        catch (InvalidOperationException)
        {
            // the test already finished
        }
    }
}
