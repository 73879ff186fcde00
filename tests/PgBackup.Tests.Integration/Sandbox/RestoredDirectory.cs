using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace PgBackup.Tests.Integration.Sandbox;

/// <summary>
/// A PGDATA for `pgbackup restore` to write, in a fresh directory under /tmp that the postgres
/// user can traverse (the restored server runs as postgres), with a free port for it. The test
/// asks the restored server over its unix socket in /tmp as postgres (the sandbox's pg_hba, carried
/// by the backup, trusts local postgres). Disposing stops any server on it and removes everything.
/// </summary>
public sealed class RestoredDirectory : IAsyncDisposable
{
    private static readonly string PgBin = SandboxEndpoints.Load().PgBin;
    private const string ServerUser = "postgres";

    public RestoredDirectory()
    {
        Parent = Path.Combine(Path.GetTempPath(), "pgbackup-restore-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Parent);
        File.SetUnixFileMode(Parent, (UnixFileMode)0b111_101_101); // 0755: postgres must reach PGDATA
        PgData = Path.Combine(Parent, "data");
        Port = FreePort();
    }

    /// <summary>Holds <see cref="PgData"/>; removed on dispose.</summary>
    public string Parent { get; }

    /// <summary>Not created: restore creates it.</summary>
    public string PgData { get; }

    public int Port { get; }

    public string RecoveryLog => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";

    private string LogPath => Path.Combine(PgData, "pgbackup-recovery.log");

    /// <summary>The arguments that make `pgbackup restore` write here and use this port.</summary>
    public string[] RestoreArgs => ["--pgdata", PgData, "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    /// <summary>Starts PostgreSQL on a restore that was written without --start, and waits until recovery has promoted it.</summary>
    public async Task StartAndWaitPromotedAsync(TimeSpan timeout)
    {
        Run("chown", ["-R", ServerUser + ":", PgData]);
        Run("setpriv", ["--reuid=" + ServerUser, "--regid=" + ServerUser, "--init-groups", Path.Combine(PgBin, "pg_ctl"), "-D", PgData, "-l", LogPath, "-o", "-c logging_collector=off", "start"]);
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                await using var connection = await OpenAsync();
                await using var command = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection);
                if (!(bool)(await command.ExecuteScalarAsync())!) return;
            }
            catch (NpgsqlException) { }
            catch (TimeoutException) { }
            if (!File.Exists(Path.Combine(PgData, "postmaster.pid")) && RecoveryLog.Length > 0)
                throw new InvalidOperationException($"the restored server exited during recovery:\n{RecoveryLog}");
            await Task.Delay(250);
        }
        throw new TimeoutException($"the restored server was not promoted within {timeout.TotalSeconds:0} s:\n{RecoveryLog}");
    }

    public async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = "/tmp",
            Port = Port,
            Username = ServerUser,
            Database = "postgres",
            Pooling = false,
            Timeout = 3,
            CommandTimeout = 10,
        }.ConnectionString);
        return await SandboxSql.OpenedAsync(connection);
    }

    /// <summary>The first column of every row of <paramref name="sql"/>, as text.</summary>
    public async Task<List<string>> QueryAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync()) rows.Add(reader.GetValue(0).ToString()!);
        return rows;
    }

    /// <summary>Stops a server running on <see cref="PgData"/>, if any (immediate: the copy is thrown away).</summary>
    public void Stop()
    {
        if (File.Exists(Path.Combine(PgData, "postmaster.pid")))
            Run("setpriv", ["--reuid=" + ServerUser, "--regid=" + ServerUser, "--init-groups", Path.Combine(PgBin, "pg_ctl"), "-D", PgData, "-m", "immediate", "-w", "stop"], check: false);
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        if (Directory.Exists(Parent)) Directory.Delete(Parent, recursive: true);
        return ValueTask.CompletedTask;
    }

    private static int FreePort()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            if (!File.Exists($"/tmp/.s.PGSQL.{port}")) return port;
        }
    }

    private static void Run(string program, string[] args, bool check = true)
    {
        // /tmp as working directory: the postgres user may not be able to enter the test's own.
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/tmp" };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (check && process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited with {process.ExitCode}: {stdout.Result}{stderr}");
    }
}
