using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using PgBackup.Errors;
using PgBackup.Repository.Catalog;

namespace PgBackup.Restore;

/// <summary>
/// A throwaway restore, as drills and table recovery make one: an empty directory for the data
/// directory and tablespaces, a free port for its server, and both removed afterwards. While its
/// run lives it holds an exclusive lock on a file in the directory; a run killed (kill -9, a
/// crashed `serve`) leaves the directory and maybe a running server, which the next run of the
/// same verb finds by the lock no one holds, stops and removes (<see cref="RemoveAbandoned"/>).
/// </summary>
internal sealed class ScratchCopy
{
    internal const string OwnerFile = ".pgbackup-owner";
    private const string KeptFile = ".pgbackup-kept";
    // A directory still without its owner file this long after it was made belongs to a run that died making it.
    private static readonly TimeSpan UnownedGrace = TimeSpan.FromMinutes(10);

    private readonly FileStream? _owner;

    private ScratchCopy(string directory, int port, FileStream? owner)
    {
        Directory = directory;
        Port = port;
        _owner = owner;
    }

    public string Directory { get; }

    public int Port { get; }

    public string PgData => Path.Combine(Directory, "pgdata");

    /// <param name="directory">Empty or new directory; null for a fresh one under the temp directory, named by <paramref name="prefix"/>.</param>
    public static ScratchCopy Create(string? directory, string prefix)
    {
        var scratch = directory is { } dir ? Path.GetFullPath(dir) : System.IO.Directory.CreateTempSubdirectory(prefix).FullName;
        RestoreTarget.RequireEmpty(scratch);
        try
        {
            System.IO.Directory.CreateDirectory(scratch);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot create the scratch directory {scratch} ({e.Message}); give --scratch an empty or new directory this user can write");
        }
        // Only the directories this verb makes itself are ever cleaned up after a crash, never one the operator named.
        var owner = directory is null ? new FileStream(Path.Combine(scratch, OwnerFile), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None) : null;
        return new ScratchCopy(scratch, FreePort(), owner);
    }

    /// <summary>
    /// Stops the servers and removes the directories that runs of this verb (by <paramref name="prefix"/>)
    /// left in the temporary directory when they were killed: those whose owner lock is free.
    /// </summary>
    /// <param name="pgBin">As the verb takes it (--pg-bin): where to find pg_ctl for the abandoned server's major.</param>
    /// <param name="osUser">The user the servers run as, when running as root.</param>
    public static void RemoveAbandoned(string prefix, string? pgBin, string? osUser, ILogger log)
    {
        foreach (var dir in System.IO.Directory.EnumerateDirectories(Path.GetTempPath(), prefix + "*"))
        {
            var ownerPath = Path.Combine(dir, OwnerFile);
            if (File.Exists(Path.Combine(dir, KeptFile))) continue; // left for a look around (drill --keep)
            try
            {
                if (!File.Exists(ownerPath))
                {
                    if (DateTime.UtcNow - System.IO.Directory.GetCreationTimeUtc(dir) < UnownedGrace) continue;
                }
                else
                {
                    using var probe = new FileStream(ownerPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
                }
            }
            catch (IOException)
            {
                continue; // its run is alive and holds the lock
            }
            catch (UnauthorizedAccessException)
            {
                continue; // another user's: not ours to judge
            }
            var abandoned = new ScratchCopy(dir, 0, null);
            log.LogWarning("Removing {Scratch}, left by a run that was killed", dir);
            try
            {
                abandoned.CleanUp(abandoned.ServerRunning() ? abandoned.ServerOf(pgBin, osUser) : null, log, prefix.TrimEnd('-'));
            }
            catch (PgBackupException e)
            {
                log.LogWarning("Could not stop the server in {Scratch} ({Reason}); stop it with pg_ctl -D {PgData} stop and remove the directory", dir, e.Message, abandoned.PgData);
            }
        }
    }

    /// <summary>Each tablespace of the backup in its own directory of the scratch copy.</summary>
    public IReadOnlyDictionary<uint, string> TablespaceMap(BackupManifest backup) =>
        backup.Tablespaces.ToDictionary(t => t.Oid, t => Path.Combine(Directory, "tablespaces", t.Oid.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Leaves the directory (and its server) for the operator: never removed as abandoned.</summary>
    public void Keep()
    {
        if (_owner is null) return;
        _owner.Dispose();
        File.Move(_owner.Name, Path.Combine(Directory, KeptFile));
    }

    /// <summary>Stops the server if it runs and removes the directory; a failure is logged with what to remove by hand.</summary>
    public void CleanUp(RecoveredServer? server, ILogger log, string verb)
    {
        try
        {
            if (server is not null && ServerRunning()) server.Stop();
            _owner?.Dispose();
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PgBackupException)
        {
            log.LogWarning("{Verb}: could not clean up {Scratch}: {Reason}; remove it by hand", verb, Directory, e.Message);
        }
    }

    /// <summary>The server of the data directory, by the major its PG_VERSION names.</summary>
    private RecoveredServer ServerOf(string? pgBin, string? osUser)
    {
        var major = int.Parse(File.ReadAllText(Path.Combine(PgData, "PG_VERSION")).Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
        return new RecoveredServer(RecoveredServer.FindBinaries(pgBin, major), PgData, Port, osUser);
    }

    /// <summary>Its postmaster is alive: postmaster.pid names a running process (a killed server leaves the file behind).</summary>
    private bool ServerRunning()
    {
        var pidFile = Path.Combine(PgData, "postmaster.pid");
        return File.Exists(pidFile) && File.ReadLines(pidFile).FirstOrDefault() is { } first
            && int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && Running(pid);
    }

    /// <summary>The process exists and is not a zombie (an exited postmaster nobody reaped yet, as under a container's init).</summary>
    internal static bool Running(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat.LastIndexOf(')') is var end and > 0 && end + 2 < stat.Length && stat[end + 2] != 'Z';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>A TCP port nobody listens on now; the Unix socket name follows from it, so it must be free in /tmp too.</summary>
    private static int FreePort()
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            if (!File.Exists($"/tmp/.s.PGSQL.{port}")) return port;
        }
        throw new OperationFailedException("found no free port for the scratch server; is /tmp full of PostgreSQL sockets?");
    }
}
