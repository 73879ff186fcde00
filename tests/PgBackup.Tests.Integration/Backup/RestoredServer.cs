using PgBackup.Tests.Integration.Sandbox;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PgBackup.Tests.Integration.Backup;

/// <summary>
/// A PostgreSQL server started on a restored data directory, as the postgres user (PostgreSQL
/// refuses root), on a free port; disposing stops it immediately.
/// </summary>
public sealed class RestoredServer : IAsyncDisposable
{
    private static readonly string PgBin = SandboxEndpoints.Load().PgBin;

    private RestoredServer(string pgData, int port)
    {
        PgData = pgData;
        Port = port;
    }

    public string PgData { get; }

    public int Port { get; }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>pg_verifybackup on the directory as restored (before a server changes it).</summary>
    public static async Task<(int ExitCode, string Output)> VerifyBackupAsync(string pgData) =>
        await RunAsync(Path.Combine(PgBin, "pg_verifybackup"), pgData);

    /// <summary>Starts PostgreSQL on <paramref name="pgData"/> (restored with --port <paramref name="port"/>) and waits until it accepts connections.</summary>
    public static async Task<RestoredServer> StartAsync(string pgData, int port)
    {
        var (chown, chownOut) = await RunAsync("chown", "-R", "postgres:postgres", pgData);
        Assert.True(chown == 0, chownOut);
        var server = new RestoredServer(pgData, port);
        var log = pgData + ".log";
        File.WriteAllText(log, "");
        File.SetUnixFileMode(log, (UnixFileMode)0b110_110_110);
        var (exit, output) = await AsPostgresAsync("pg_ctl", "-D", pgData, "-l", log, "-w", "-t", "120", "start");
        if (exit != 0)
        {
            await server.DisposeAsync();
            Assert.Fail($"PostgreSQL did not start on the restored directory ({exit}): {output}\n{File.ReadAllText(log)}");
        }
        return server;
    }

    /// <summary>
    /// pg_ctl start on a directory that should NOT start (an interrupted restore): its exit code and
    /// output. A server that does start is stopped again at once.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> TryStartAsync(string pgData, int port)
    {
        if (!Directory.Exists(pgData))
            return (-1, $"{pgData} does not exist");
        await RunAsync("chown", "-R", "postgres:postgres", pgData);
        var (exit, output) = await AsPostgresAsync("pg_ctl", "-D", pgData, "-l", pgData + ".log", "-o", $"-p {port}", "-w", "-t", "30", "start");
        if (exit == 0)
            await new RestoredServer(pgData, port).DisposeAsync();
        return (exit, output + (File.Exists(pgData + ".log") ? File.ReadAllText(pgData + ".log") : ""));
    }

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(PgData, "postmaster.pid")))
            await AsPostgresAsync("pg_ctl", "-D", PgData, "-m", "immediate", "-w", "stop");
    }

    private static Task<(int, string)> AsPostgresAsync(string tool, params string[] args) =>
        RunAsync("setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", Path.Combine(PgBin, tool), .. args]);

    /// <summary>Runs a program to its end: its exit code and everything it printed.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/tmp" };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout + await stderr);
    }
}
