using System.CommandLine;
using Microsoft.Extensions.Logging;
using PgBackup.Errors;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Extensions.Logging;

namespace PgBackup.Cli.Hosting;

/// <summary>
/// The error contract of DESIGN.md in one place: a parse error or a <see cref="PgBackupException"/>
/// becomes one "error: ..." line on stderr and its exit code; anything else exits 1 with the
/// detail in the log file, never a stack trace on the terminal.
/// </summary>
internal static class CommandRunner
{
    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            var verb = parse.CommandResult.Command == root ? "" : " " + parse.CommandResult.Command.Name;
            Console.Error.WriteLine($"error: {parse.Errors[0].Message.TrimEnd('.')}; run `pgbackup{verb} --help` for usage");
            return (int)ErrorClass.Usage;
        }
        var service = ServiceVerbs.Contains(parse.CommandResult.Command.Name);
        var deferred = ConfigureLogging(parse, service);
        var exitCode = (int)ErrorClass.Unforeseen;
        try
        {
            exitCode = await parse.InvokeAsync(new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false,
                // A service shuts down gracefully on its own signal handling (running jobs finish or are
                // discarded); System.CommandLine would end the process two seconds after the signal.
                ProcessTerminationTimeout = service ? null : TimeSpan.FromSeconds(2),
            }).ConfigureAwait(false);
            return exitCode;
        }
        finally
        {
            deferred?.Release(succeeded: exitCode == 0);
            await Log.CloseAndFlushAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Wraps a verb's body so every failure leaves through the error contract.</summary>
    public static async Task<int> Guard(Func<Microsoft.Extensions.Logging.ILogger, CancellationToken, Task<int>> body, CancellationToken ct)
    {
        var logger = LoggerFactory.CreateLogger("pgbackup");
        try
        {
            return await body(logger, ct).ConfigureAwait(false);
        }
        catch (PgBackupException e)
        {
            Log.Debug(e, "Failed");
            Console.Error.WriteLine("error: " + e.Message);
            return e.ExitCode;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Console.Error.WriteLine("error: interrupted; nothing partial was published, run the command again to retry");
            return 130;
        }
        catch (Exception e)
        {
            Log.Error(e, "Unexpected failure");
            var where = Environment.GetEnvironmentVariable("PGBACKUP_LOG_FILE") is { Length: > 0 } f ? f : "the log (--log-file FILE)";
            Console.Error.WriteLine($"error: unexpected failure ({e.GetType().Name}: {e.Message.Split('\n')[0]}); details in {where}; please report it");
            return (int)ErrorClass.Unforeseen;
        }
    }

    /// <summary>Long-running verbs: they log at information by default and handle termination signals themselves.</summary>
    private static readonly HashSet<string> ServiceVerbs = ["serve", "archive"];

    public static ILoggerFactory LoggerFactory { get; private set; } = new SerilogLoggerFactory();

    /// <summary>Returns the sink holding the terminal's warnings when the verb's outcome decides whether they are shown.</summary>
    private static DeferredConsoleSink? ConfigureLogging(ParseResult parse, bool service)
    {
        LogEventLevel? asked = parse.GetValue(GlobalOptions.Verbose) ? LogEventLevel.Information
            : Environment.GetEnvironmentVariable("PGBACKUP_LOG_LEVEL")?.ToLowerInvariant() switch
            {
                "debug" => LogEventLevel.Debug,
                "info" or "information" => LogEventLevel.Information,
                "warning" => LogEventLevel.Warning,
                "error" => LogEventLevel.Error,
                _ => null,
            };
        var level = asked ?? (service ? LogEventLevel.Information : LogEventLevel.Warning);
        // Asked-for logging and a service's log are live; a short verb's default warnings wait for its outcome.
        var defer = asked is null && !service;
        var file = parse.GetValue(GlobalOptions.LogFile) ?? Environment.GetEnvironmentVariable("PGBACKUP_LOG_FILE");
        // The terminal gets messages only; stack traces go to the log file.
        var console = new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Console(standardErrorFromLevel: LogEventLevel.Verbose,
            outputTemplate: service ? "{Timestamp:HH:mm:ss} {Level:u3} {JobId} {Message:lj}{NewLine}" : "{Timestamp:HH:mm:ss} {Level:u3} {Message:lj}{NewLine}").CreateLogger();
        var deferred = defer ? new DeferredConsoleSink(console) : null;
        var config = new LoggerConfiguration()
            .MinimumLevel.Debug()
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .WriteTo.Sink(deferred ?? (ILogEventSink)console, restrictedToMinimumLevel: level);
        if (!string.IsNullOrEmpty(file))
        {
            Environment.SetEnvironmentVariable("PGBACKUP_LOG_FILE", file);
            config = config.WriteTo.File(file, outputTemplate: "{Timestamp:O} {Level:u3} {SourceContext} {JobId} {Message:lj}{NewLine}{Exception}");
        }
        Log.Logger = config.CreateLogger();
        LoggerFactory = new SerilogLoggerFactory(Log.Logger);
        return deferred;
    }
}
