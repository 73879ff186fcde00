using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using PgBackup.Postgres;

namespace PgBackup.Tests.Integration.Sandbox;

/// <summary>
/// `pgbackup archive --status-interval 1` as a child process of the test. Its status lines say how
/// far WAL is durable in the repository; <see cref="WaitArchivedAsync"/> polls them with a deadline.
/// Disposing kills it (and its process tree) if it still runs.
/// </summary>
public sealed partial class ArchiverProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ArchiverProcess(Process process) => _process = process;

    public string Output { get { lock (_output) return _output.ToString(); } }

    public static ArchiverProcess Start(PolicyFile policy)
    {
        var psi = new ProcessStartInfo(PgBackupCli.DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { PgBackupCli.Dll, "archive", "--policy", policy.Path, "--status-interval", "1" })
            psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        var archiver = new ArchiverProcess(Process.Start(psi)!);
        archiver._process.OutputDataReceived += (_, e) => archiver.Append(e.Data);
        archiver._process.ErrorDataReceived += (_, e) => archiver.Append(e.Data);
        archiver._process.BeginOutputReadLine();
        archiver._process.BeginErrorReadLine();
        archiver._process.StandardInput.Close();
        return archiver;
    }

    /// <summary>Returns once a status line reports WAL archived up to <paramref name="lsn"/> on <paramref name="timeline"/>.</summary>
    public async Task WaitArchivedAsync(uint timeline, Lsn lsn, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"the archiver exited with {_process.ExitCode}:\n{Output}");
            foreach (Match m in StatusLine().Matches(Output))
            {
                if (uint.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) == timeline && Lsn.Parse(m.Groups[2].Value) >= lsn)
                    return;
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"the archiver did not report timeline {timeline} archived to {lsn} within {timeout.TotalSeconds:0} s:\n{Output}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM first: the archiver finishes its current upload; kill if it lingers.
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await term.WaitForExitAsync();
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try { await _process.WaitForExitAsync(grace.Token); }
            catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
        }
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    [GeneratedRegex(@"archive: Streaming from \S+ timeline (\d+): archived to ([0-9A-F]+/[0-9A-F]+)")]
    private static partial Regex StatusLine();
}
