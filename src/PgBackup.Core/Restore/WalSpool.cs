namespace PgBackup.Restore;

/// <summary>
/// Where a restore puts the WAL it fetched — the backup's own and the archive's up to the target —
/// and how the restored server takes it. In archive recovery PostgreSQL asks restore_command first
/// for every file it replays, and a pgbackup process per segment costs a .NET start (about half a
/// second, longer than replaying the segment). So restore_command first links the file out of this
/// spool with the shell, no process of ours, and runs the configured command only for what the
/// spool does not hold. The spool is a directory only the restore writes: pg_wal itself also holds
/// segments PostgreSQL recycled under future names, which a plain `test -f pg_wal/%f` would hand
/// over with stale content. A link, not a move: PostgreSQL asks for the same file more than once
/// (it probes a history file, then reads it; it re-reads segments after a restart) and discards
/// some of what it was given, so the spool keeps everything until recovery_end_command removes it.
/// </summary>
internal static class WalSpool
{
    /// <summary>Relative to PGDATA, where PostgreSQL runs restore_command: the directory may be moved after the restore.</summary>
    public const string RelativePath = "pg_wal/pgbackup-spool";

    /// <summary>Creates the (empty) spool of a restore into <paramref name="pgData"/> and returns its path.</summary>
    public static string Create(string pgData)
    {
        var path = Path.Combine(pgData, RelativePath);
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>
    /// For a standby whose manager replaces restore_command with its own (Patroni does): the spooled
    /// files move into pg_wal, where PostgreSQL replays them with no restore_command at all, as after
    /// pg_basebackup, and the spool is gone. A spooled segment replaces the backup's zero-padded copy of its last one.
    /// </summary>
    public static void MoveIntoPgWal(string pgData)
    {
        var spool = Path.Combine(pgData, RelativePath);
        var pgWal = Path.Combine(pgData, "pg_wal");
        foreach (var file in Directory.EnumerateFiles(spool).Where(f => !Path.GetFileName(f).StartsWith('.')))
            File.Move(file, Path.Combine(pgWal, Path.GetFileName(file)), overwrite: true);
        IO.DirectorySync.Flush(pgWal);
        Directory.Delete(spool, recursive: true);
        IO.DirectorySync.Flush(pgWal);
    }

    /// <summary>Holds the id of the restore process still writing segments into the spool (<see cref="WalArrival"/>).</summary>
    private const string ArrivingMark = ".arriving";

    /// <summary>The names of the segments still to arrive, one a line.</summary>
    private const string ExpectedList = ".expected";

    /// <summary>The recovery settings that take WAL from the spool first and <paramref name="restoreCommand"/> for the rest.</summary>
    public static IEnumerable<string> Settings(string restoreCommand)
    {
        var s = RelativePath;
        // While a restore still writes segments, one it will write is waited for — as long as that
        // process lives (a killed restore leaves its mark: the configured command takes over then).
        var waitForArrival = $"if [ -f {s}/{ArrivingMark} ] && grep -qxF %f {s}/{ExpectedList} 2>/dev/null; then "
            + $"while [ ! -f {s}/%f ] && [ -f {s}/{ArrivingMark} ] && [ -d /proc/$(cat {s}/{ArrivingMark} 2>/dev/null || echo gone) ]; do sleep 0.05; done; fi; ";
        // A link appears whole or not at all; a copy only where pg_wal's file system has no hard links.
        var rest = string.IsNullOrWhiteSpace(restoreCommand) ? "false" : restoreCommand;
        var spooled = $"if [ -f {s}/%f ]; then ln -f {s}/%f \"%p\" 2>/dev/null || cp {s}/%f \"%p\"; else {rest}; fi";
        yield return $"restore_command = '{RecoveryConfiguration.Quote(waitForArrival + spooled)}'";
        yield return $"recovery_end_command = 'rm -rf {s}'";
    }

    /// <summary>Marks <paramref name="names"/> as arriving from this process: restore_command waits for them.</summary>
    public static void BeginArrival(string spool, IEnumerable<string> names)
    {
        RestoreCompletion.WriteDurably(Path.Combine(spool, ExpectedList), string.Concat(names.Select(n => n + "\n")));
        RestoreCompletion.WriteDurably(Path.Combine(spool, ArrivingMark), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Nothing more arrives: the names written are made durable and restore_command stops waiting.</summary>
    public static void EndArrival(string spool)
    {
        try
        {
            IO.DirectorySync.Flush(spool);
            File.Delete(Path.Combine(spool, ArrivingMark));
        }
        catch (Exception e) when (e is DirectoryNotFoundException or IOException)
        {
            // recovery_end_command removed the spool: recovery is over, nothing waits.
        }
    }
}
