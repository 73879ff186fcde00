using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace PgBackup.Tests.Integration.Serve;

/// <summary>`pgbackup serve` as a child process of the test: started, waited for, stopped with SIGTERM, killed if it lingers.</summary>
public sealed class ServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServeProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        BaseUrl = $"http://127.0.0.1:{port}";
    }

    public int Port { get; }
    public string BaseUrl { get; }
    public string Output { get { lock (_output) return _output.ToString(); } }
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>How serve names itself among instances sharing a job storage (its Hangfire server, its archiver leases).</summary>
    public string Instance => $"{Environment.MachineName}:{_process.Id}";

    /// <summary>Resident memory now (VmRSS), as the kernel counts it.</summary>
    public double ResidentMiB() =>
        long.Parse(File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;

    /// <summary>
    /// WAL spool files (the segment a receiver is filling) it holds open: unlinked at creation, they
    /// show only as descriptors, "…/pgbackup-wal-PID-… (deleted)".
    /// </summary>
    public int OpenWalSpoolFiles() =>
        new DirectoryInfo($"/proc/{_process.Id}/fd").EnumerateFileSystemInfos()
            .Count(fd => LinkTargetOrNull(fd)?.Contains($"/pgbackup-wal-{_process.Id}-", StringComparison.Ordinal) == true);

    /// <summary>A descriptor closed while the directory is read has no target any more.</summary>
    private static string? LinkTargetOrNull(FileSystemInfo fd)
    {
        try { return fd.LinkTarget; }
        catch (IOException) { return null; }
    }

    /// <summary>SIGKILL: no lease released, no partial uploaded, as a crashed host would leave it.</summary>
    public async Task Kill9Async()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public static ServeProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, int? port = null)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "pgbackup.dll"));
        psi.ArgumentList.Add("serve");
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("PGBACKUP_SERVE_TOKEN");
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var serve = new ServeProcess(Process.Start(psi)!, port ?? 0);
        serve._process.OutputDataReceived += (_, e) => serve.Append(e.Data);
        serve._process.ErrorDataReceived += (_, e) => serve.Append(e.Data);
        serve._process.BeginOutputReadLine();
        serve._process.BeginErrorReadLine();
        return serve;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"serve exited with {_process.ExitCode}:\n{Output}");
            try
            {
                if ((await http.GetAsync(BaseUrl + "/healthz")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException($"serve did not answer /healthz within {timeout}:\n{Output}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>SIGTERM, as a service manager stops it; the host shuts down gracefully.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()])) await kill.WaitForExitAsync();
        await WaitForExitAsync(TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        try { await StopAsync(); }
        catch (OperationCanceledException) { }
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }
}
