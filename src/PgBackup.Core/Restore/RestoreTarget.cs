using PgBackup.Errors;

namespace PgBackup.Restore;

/// <summary>
/// The directories a restore writes into: PGDATA and one per tablespace. Each must be empty or
/// absent — a restore never mixes its files with someone else's.
/// </summary>
internal sealed class RestoreTarget
{
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

    /// <summary>Where a manifest path lands: under PGDATA, or under its tablespace's directory.</summary>
    public string PathOf(uint? tablespace, string relative)
    {
        var root = tablespace is { } oid ? TablespaceDirs[oid] : PgData;
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
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
            throw new UsageException($"{dir} is not empty; restore into an empty or new directory, or give --delta to reuse the files that match");
    }
}
