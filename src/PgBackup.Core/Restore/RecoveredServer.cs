using PgBackup.Errors;
using PgBackup.IO;

namespace PgBackup.Restore;

/// <summary>
/// `restore --start`: starts PostgreSQL on a restored directory and waits until recovery ends,
/// then says where it ended. PostgreSQL refuses to run as root, so when we are root the server
/// runs as <see cref="OsUser"/>, who is given the directories first.
/// </summary>
public sealed partial class RecoveredServer(string pgBin, string pgData, int port, string? osUser)
{
    public string LogPath => Path.Combine(pgData, "pgbackup-recovery.log");

    public string? OsUser => osUser;

    /// <summary>The WAL segments recovery has taken so far (PostgreSQL logs each it restores), while <see cref="StartAsync"/> waits.</summary>
    public int SegmentsRestored { get; private set; }

    /// <summary>The binaries of <paramref name="major"/>: --pg-bin, else pg_config's bindir, else Debian's layout.</summary>
    public static string FindBinaries(string? pgBin, int major)
    {
        var candidates = pgBin is not null ? [pgBin] : new[] { PgConfigBinDir(), $"/usr/lib/postgresql/{major}/bin", $"/usr/pgsql-{major}/bin" }.OfType<string>();
        foreach (var dir in candidates)
        {
            var postgres = Path.Combine(dir, "postgres");
            if (!File.Exists(postgres)) continue;
            var version = Run(postgres, ["--version"]).Output;
            if (version.Contains($" {major}.", StringComparison.Ordinal)) return dir;
            if (pgBin is not null)
                throw new UsageException($"--pg-bin {pgBin} holds '{version.Trim()}', but the backup is of PostgreSQL {major}; give the PostgreSQL {major} binaries");
        }
        throw new UsageException(pgBin is not null
            ? $"--pg-bin {pgBin} has no postgres binary; give the directory holding pg_ctl and postgres of PostgreSQL {major}"
            : $"no PostgreSQL {major} binaries found (pg_config, /usr/lib/postgresql/{major}/bin); install postgresql-{major} or give --pg-bin DIR");
    }

    public async Task<RecoveryOutcome> StartAsync(IEnumerable<string> ownedDirectories, TimeSpan timeout, CancellationToken ct)
    {
        if (osUser is not null)
            foreach (var dir in ownedDirectories)
                Check(WithoutVanishedFiles(Run("env", ["LC_ALL=C", "chown", "-R", osUser + ":", dir])), $"giving {dir} to {osUser}");
        File.Delete(LogPath);
        // logging_collector off: the recovery report is read from the log pg_ctl writes.
        Check(RunAsServerUser(Path.Combine(pgBin, "pg_ctl"), ["-D", pgData, "-l", LogPath, "-W", "-o", $"-c logging_collector=off -p {port}", "start"]), "starting PostgreSQL");
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(250, ct).ConfigureAwait(false);
            var log = File.Exists(LogPath) ? await File.ReadAllTextAsync(LogPath, ct).ConfigureAwait(false) : "";
            SegmentsRestored = RestoredSegment().Count(log);
            if (RecoveryOutcome.FromLog(log) is { } outcome) return outcome;
            if (!File.Exists(Path.Combine(pgData, "postmaster.pid")) && log.Length > 0 && !log.Contains("shutdown at recovery target", StringComparison.Ordinal))
                return new RecoveryOutcome(RecoveryEnd.Failed, null, null, null, null, $"the server exited during recovery; see {LogPath}");
        }
        throw new OperationFailedException($"recovery did not end within {timeout.TotalMinutes:0} minutes; the server keeps running (see {LogPath}); stop it with pg_ctl -D {pgData} stop");
    }

    public void Stop() => Check(RunAsServerUser(Path.Combine(pgBin, "pg_ctl"), ["-D", pgData, "-m", "fast", "-w", "stop"]), "stopping PostgreSQL");

    /// <summary>Runs a PostgreSQL client program as the user the server runs as (drills run pg_amcheck this way).</summary>
    internal (int ExitCode, string Output) RunAsServerUser(string program, string[] args) =>
        osUser is null ? Run(program, args) : Run("setpriv", ["--reuid=" + osUser, "--regid=" + osUser, "--init-groups", program, .. args]);

    /// <summary>
    /// `chown -R` fails on a file removed while it walks the tree, such as the WAL spool's arrival
    /// mark, deleted at once when no segment is to arrive. A file that is gone needs no owner.
    /// (chown runs with LC_ALL=C, so its messages are the English ones matched here.)
    /// </summary>
    private static (int ExitCode, string Output) WithoutVanishedFiles((int ExitCode, string Output) result) =>
        result.ExitCode != 0 && result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).All(l => l.EndsWith(": No such file or directory", StringComparison.Ordinal))
            ? (0, result.Output)
            : result;

    private static void Check((int ExitCode, string Output) result, string what)
    {
        if (result.ExitCode != 0)
            throw new OperationFailedException($"{what} failed: {result.Output.Trim().Split('\n').LastOrDefault()}");
    }

    private static string? PgConfigBinDir()
    {
        try { return Run("pg_config", ["--bindir"]).Output.Trim() is { Length: > 0 } dir ? dir : null; }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }

    private static (int ExitCode, string Output) Run(string program, string[] args) => ChildProcess.Run(program, args);

    [System.Text.RegularExpressions.GeneratedRegex(@"restored log file ""[0-9A-F]{24}"" from archive")]
    private static partial System.Text.RegularExpressions.Regex RestoredSegment();
}
