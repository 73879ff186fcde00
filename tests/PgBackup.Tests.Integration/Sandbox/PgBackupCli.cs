using System.Diagnostics;

namespace PgBackup.Tests.Integration.Sandbox;

/// <summary>What one run of the `pgbackup` executable did.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The non-empty lines of stderr.</summary>
    public IReadOnlyList<string> StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// Runs the real `pgbackup` executable as a child process: the PgBackup.Cli build output
/// (pgbackup.dll) that the project reference copies next to the tests, started with the same
/// dotnet host that runs the tests.
/// </summary>
public static class PgBackupCli
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public static string Dll
    {
        get
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "pgbackup.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} not found: the test project must reference src/PgBackup.Cli", dll);
        }
    }

    /// <summary>Runs `pgbackup ARGS`; kills it (and fails) if it outlives <paramref name="timeout"/> (default 60 s).</summary>
    public static async Task<CliResult> RunAsync(IReadOnlyList<string> args, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null)
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

        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + psi.FileName);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"pgbackup {string.Join(' ', args)} did not exit within {(timeout ?? DefaultTimeout).TotalSeconds:0} s");
        }
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    public static Task<CliResult> RunAsync(params string[] args) => RunAsync(args, null, null);

    /// <summary>The dotnet host running these tests (testhost runs under it), else `dotnet` from PATH.</summary>
    public static string DotnetHost()
    {
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
            return self;
        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
    }
}
