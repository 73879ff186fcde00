using PgBackup.Tests.Integration.Sandbox;
using System.Diagnostics;
using Npgsql;

namespace PgBackup.Tests.Integration.Backup;

/// <summary>
/// Crashes the member a backup copies from while BASE_BACKUP is mid-stream — deterministically,
/// however fast or loaded the machine (a sub-second backup cannot be caught by polling). The
/// member's checkpointer is frozen first, so BASE_BACKUP waits for its restartpoint and its
/// walsender can be found; that walsender is then frozen, the checkpointer released, and the
/// walsender let run in bursts of a few milliseconds, checked while frozen, until pgbackup is
/// streaming WAL alongside and has received data files — with most still to come. Then the
/// member's postmaster and that walsender are killed (SIGKILL, as a crashed host). Patroni
/// restarts the member afterwards.
/// </summary>
public static class SourceCrash
{
    private static readonly TimeSpan Burst = TimeSpan.FromMilliseconds(5);

    public static async Task<RunningCli> BackupWithCrashMidCopyAsync(BackupTestbed bed, string member, int port, string[] backupArgs, TimeSpan timeout)
    {
        await using var sql = await bed.SqlAsync(port, "postgres");
        var checkpointer = (int)(await ScalarAsync(sql, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'"))!;
        int? walsender = null;
        Signal(checkpointer, "-STOP");
        var backup = PgBackupCli.Start(backupArgs);
        try
        {
            walsender = await WaitForBaseBackupAsync(sql, backup, timeout);
            Signal(walsender.Value, "-STOP");
            Signal(checkpointer, "-CONT");
            var deadline = DateTime.UtcNow + timeout;
            while (!await IsMidCopyAsync(sql, walsender.Value))
            {
                if (backup.HasExited)
                    Assert.Fail($"the backup ended while its source was held mid-copy:\n{await backup.WaitAsync(timeout)}");
                Assert.True(DateTime.UtcNow < deadline, $"BASE_BACKUP on port {port} did not get to streaming files with WAL alongside within {timeout.TotalSeconds:0}s");
                Signal(walsender.Value, "-CONT");
                await Task.Delay(Burst);
                Signal(walsender.Value, "-STOP");
            }
            var postmaster = int.Parse(File.ReadLines(Path.Combine(RunDirectory(bed), member, "data", "postmaster.pid")).First());
            Signal(postmaster, "-KILL");
            Signal(walsender.Value, "-KILL");
            return backup;
        }
        catch
        {
            // Never leave the member frozen.
            Signal(checkpointer, "-CONT", mayBeGone: true);
            if (walsender is { } pid) Signal(pid, "-CONT", mayBeGone: true);
            backup.Dispose();
            throw;
        }
    }

    /// <summary>True once pgbackup streams WAL from the member and the (frozen) walsender is part-way through the data files.</summary>
    private static async Task<bool> IsMidCopyAsync(NpgsqlConnection sql, int walsender) =>
        await ScalarAsync(sql, $"""
            SELECT EXISTS (SELECT FROM pg_stat_replication WHERE usename = 'pgbackup' AND state IN ('streaming', 'catchup'))
               AND EXISTS (SELECT FROM pg_stat_progress_basebackup WHERE pid = {walsender} AND phase = 'streaming database files'
                             AND backup_streamed > 0 AND backup_streamed < backup_total / 2)
            """) is true;

    /// <summary>Waits until the member's walsender serving BASE_BACKUP waits for the (frozen) checkpointer; returns its pid.</summary>
    private static async Task<int> WaitForBaseBackupAsync(NpgsqlConnection sql, RunningCli backup, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await ScalarAsync(sql, "SELECT pid FROM pg_stat_progress_basebackup WHERE phase = 'waiting for checkpoint to finish'") is int pid)
                return pid;
            if (backup.HasExited)
                Assert.Fail($"the backup ended before BASE_BACKUP started on the source:\n{await backup.WaitAsync(timeout)}");
            Assert.True(DateTime.UtcNow < deadline, $"BASE_BACKUP did not start within {timeout.TotalSeconds:0}s");
            await Task.Delay(20);
        }
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection sql, string query)
    {
        await using var command = new NpgsqlCommand(query, sql);
        return await command.ExecuteScalarAsync();
    }

    /// <summary>Where sandbox.sh keeps the members' data directories (recorded in its state directory).</summary>
    private static string RunDirectory(BackupTestbed bed) => File.ReadAllText(Path.Combine(bed.Endpoints.Directory, "run-dir")).Trim();

    private static void Signal(int pid, string signal, bool mayBeGone = false)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [signal, pid.ToString()]) { RedirectStandardError = true })!;
        kill.WaitForExit();
        if (kill.ExitCode != 0 && !mayBeGone)
            throw new InvalidOperationException($"kill {signal} {pid} failed: {kill.StandardError.ReadToEnd()}");
    }
}
