using Serilog.Core;
using Serilog.Events;

namespace PgBackup.Cli.Hosting;

/// <summary>
/// Holds a short verb's warnings for the terminal until the verb's outcome is known. A verb that
/// succeeds shows them after the fact; one that fails shows only its error line, because the
/// warnings that led there (a probe per member that refused the same password) repeat what the
/// error says. The log file, when there is one, gets every event as it happens.
/// </summary>
internal sealed class DeferredConsoleSink(ILogEventSink console) : ILogEventSink
{
    private readonly List<LogEvent> _held = [];

    public void Emit(LogEvent logEvent)
    {
        lock (_held) _held.Add(logEvent);
    }

    public void Release(bool succeeded)
    {
        lock (_held)
        {
            if (succeeded)
                foreach (var e in _held) console.Emit(e);
            _held.Clear();
        }
    }
}
