using System.Diagnostics;

namespace PgBackup.IO;

/// <summary>Runs a program to its end and returns its exit code and output (stdout, then stderr).</summary>
internal static class ChildProcess
{
    /// <param name="environment">Variables set for the child only (e.g. PGHOST), never on its command line.</param>
    public static (int ExitCode, string Output) Run(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr);
    }
}
