using System.Diagnostics;
using System.Text;

namespace PgBackup.Tests.Integration.Backup;

/// <summary>What one run of the pgbackup executable did.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The `error: ...` lines on stderr: the error contract promises exactly one on failure.</summary>
    public IReadOnlyList<string> ErrorLines => Stderr.Split('\n').Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).ToList();

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>
/// Runs the built pgbackup (pgbackup.dll sits in the test output because the test project
/// references PgBackup.Cli) as a separate process, as a user would, so exit codes, stderr and
/// kill -9 are the real thing.
/// </summary>
public static class PgBackupCli
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    public static async Task<CliResult> RunAsync(params string[] args)
    {
        using var running = Start(args);
        return await running.WaitAsync(Deadline);
    }

    public static RunningCli Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "pgbackup.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        // No terminal: progress arrives as log lines, and debug detail is kept for failures.
        psi.Environment["PGBACKUP_LOG_LEVEL"] = "info";
        return new RunningCli(Process.Start(psi)!, string.Join(' ', args));
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
