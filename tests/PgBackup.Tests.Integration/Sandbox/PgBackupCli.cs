using System.Diagnostics;
using System.Text;

namespace PgBackup.Tests.Integration.Sandbox;

/// <summary>What one run of the `pgbackup` executable did.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The non-empty lines of stderr.</summary>
    public IReadOnlyList<string> StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The lines of the error contract: "error: ...".</summary>
    public IReadOnlyList<string> ErrorLines => StderrLines.Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).ToList();

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// Runs the real `pgbackup` executable as a child process: the PgBackup.Cli build output
/// (pgbackup.dll) that the project reference copies next to the tests, started with the same
/// dotnet host that runs the tests.
/// </summary>
public static class PgBackupCli
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    public static string Dll
    {
        get
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "pgbackup.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} not found: the test project must reference src/PgBackup.Cli", dll);
        }
    }

    /// <summary>Runs `pgbackup ARGS`; kills it (and fails) if it outlives <paramref name="timeout"/> (default 120 s).</summary>
    public static async Task<CliResult> RunAsync(IReadOnlyList<string> args, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var running = Start(args, environment);
        return await running.WaitAsync(timeout ?? DefaultTimeout);
    }

    public static Task<CliResult> RunAsync(params string[] args) => RunAsync(args, null, null);

    /// <summary>Starts `pgbackup ARGS` and returns at once, for tests that kill it or run it alongside others.</summary>
    public static RunningCli Start(IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        // Deterministic output: no log file or level inherited from whoever runs the tests, no colours.
        psi.Environment.Remove("PGBACKUP_LOG_FILE");
        psi.Environment.Remove("PGBACKUP_LOG_LEVEL");
        psi.Environment["NO_COLOR"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) psi.Environment[key] = value;
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + psi.FileName);
        process.StandardInput.Close();
        return new RunningCli(process, string.Join(' ', args));
    }

    public static RunningCli Start(params string[] args) => Start(args, null);

    /// <summary>The dotnet host running these tests (testhost runs under it), else `dotnet` from PATH.</summary>
    public static string DotnetHost()
    {
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
            return self;
        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
    }
}

/// <summary>A pgbackup process still running: wait for it, or kill -9 it.</summary>
public sealed class RunningCli : IDisposable
{
    private readonly Process _process;
    private readonly string _command;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    internal RunningCli(Process process, string command)
    {
        _process = process;
        _command = command;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_stdout) _stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public bool HasExited => _process.HasExited;

    public int ProcessId => _process.Id;

    public async Task<CliResult> WaitAsync(TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Kill9();
            throw new TimeoutException($"pgbackup {_command} did not finish within {deadline.TotalSeconds:0}s; output so far:\n{Result(-1)}");
        }
        // WaitForExitAsync also waits for the redirected streams to reach their end.
        return Result(_process.ExitCode);
    }

    /// <summary>SIGKILL, as `kill -9` does: no finally blocks, no cleanup, sockets dropped by the kernel.</summary>
    public CliResult Kill9()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
        return Result(_process.ExitCode);
    }

    private CliResult Result(int exitCode)
    {
        lock (_stdout) lock (_stderr)
            return new CliResult(exitCode, _stdout.ToString(), _stderr.ToString());
    }

    public void Dispose()
    {
        if (!_process.HasExited) Kill9();
        _process.Dispose();
    }
}
