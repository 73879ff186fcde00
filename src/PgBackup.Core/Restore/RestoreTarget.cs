using PgBackup.Errors;
using PgBackup.Formats;

namespace PgBackup.Restore;

/// <summary>
/// The directories a restore writes into: PGDATA and one per tablespace. Each must be empty or
/// absent — a restore never mixes its files with someone else's — and a directory an earlier
/// restore left unfinished is named as such.
/// </summary>
/// <remarks>
/// <c>global/pg_control</c> is written under <see cref="HeldPgControl"/> and renamed into place only
/// when everything else is durable (<see cref="RestoreCompletion"/>): PostgreSQL cannot start a
/// directory without it, so a restore killed at any moment can never be started half-done.
/// </remarks>
internal sealed class RestoreTarget : IRestoreDestination
{
    public const string PgControl = "global/pg_control";

    /// <summary>Where pg_control waits until the restore is complete.</summary>
    public const string HeldPgControl = "global/pg_control.pgbackup-restore";

    /// <summary>In PGDATA while a restore runs: which backup, since when, by whom.</summary>
    public const string Marker = "pgbackup-restore-incomplete";

    /// <param name="delta">Restoring over an earlier copy: the directories may hold files, but no running server.</param>
    public RestoreTarget(string pgData, IReadOnlyDictionary<uint, string> tablespaceDirs, bool delta)
    {
        PgData = Path.GetFullPath(pgData);
        TablespaceDirs = tablespaceDirs.ToDictionary(kv => kv.Key, kv => Path.GetFullPath(kv.Value));
        if (delta && File.Exists(Path.Combine(PgData, "postmaster.pid")))
            throw new UsageException($"{PgData} has a postmaster.pid: a server may be running on it; stop it (pg_ctl -D {PgData} stop) before a --delta restore");
        if (!delta)
            foreach (var dir in Roots)
                RequireEmpty(dir);
    }

    public IEnumerable<string> Roots => TablespaceDirs.Values.Prepend(PgData);

    public string PgData { get; }

    public IReadOnlyDictionary<uint, string> TablespaceDirs { get; }

    public string MarkerPath => Path.Combine(PgData, Marker);

    public bool IsOwnFile(string path) => path == MarkerPath;

    /// <summary>Where a manifest path lands: under PGDATA, or under its tablespace's directory (pg_control under its held name).</summary>
    public string PathOf(uint? tablespace, string relative)
    {
        var root = tablespace is { } oid ? TablespaceDirs[oid] : PgData;
        if (tablespace is null && relative == PgControl)
            relative = HeldPgControl;
        var full = Path.GetFullPath(Path.Combine(root, relative));
        // A manifest is data from a repository: never let a path climb out of its root.
        if (!full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) && full != root)
            throw new RepositoryException($"manifest path '{relative}' points outside {root}; the backup manifest is damaged or forged");
        return full;
    }

    public static void RequireEmpty(string dir)
    {
        if (File.Exists(dir))
            throw new UsageException($"{dir} is a file, not a directory; give an empty or new directory");
        if (!Directory.Exists(dir) || !Directory.EnumerateFileSystemEntries(dir).Any())
            return;
        if (Interrupted(dir) is { } what)
            throw new UsageException($"{dir} holds {what}: PostgreSQL cannot start it ({PgControl} is not in place); remove the directory and restore again (a backup taken with backup.compression: client can resume it with --delta)");
        throw new UsageException($"{dir} is not empty; restore into an empty or new directory, or give --delta to reuse the files that match");
    }

    /// <summary>What an unfinished restore in <paramref name="pgData"/> was, or null when there is none.</summary>
    public static string? Interrupted(string pgData)
    {
        var marker = Path.Combine(pgData, Marker);
        if (File.Exists(marker))
            return $"a restore that did not finish ({File.ReadAllText(marker).Trim()})";
        return File.Exists(Path.Combine(pgData, HeldPgControl)) ? "a restore that did not finish" : null;
    }
}
