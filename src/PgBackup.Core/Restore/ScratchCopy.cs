using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using PgBackup.Errors;
using PgBackup.Repository.Catalog;

namespace PgBackup.Restore;

/// <summary>
/// A throwaway restore, as drills and table recovery make one: an empty directory for the data
/// directory and tablespaces, a free port for its server, and both removed afterwards.
/// </summary>
internal sealed class ScratchCopy
{
    private ScratchCopy(string directory, int port)
    {
        Directory = directory;
        Port = port;
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
        return new ScratchCopy(scratch, FreePort());
    }

    /// <summary>Each tablespace of the backup in its own directory of the scratch copy.</summary>
    public IReadOnlyDictionary<uint, string> TablespaceMap(BackupManifest backup) =>
        backup.Tablespaces.ToDictionary(t => t.Oid, t => Path.Combine(Directory, "tablespaces", t.Oid.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Stops the server if it runs and removes the directory; a failure is logged with what to remove by hand.</summary>
    public void CleanUp(RecoveredServer? server, ILogger log, string verb)
    {
        try
        {
            if (server is not null && File.Exists(Path.Combine(PgData, "postmaster.pid"))) server.Stop();
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PgBackupException)
        {
            log.LogWarning("{Verb}: could not clean up {Scratch}: {Reason}; remove it by hand", verb, Directory, e.Message);
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
