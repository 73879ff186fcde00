using PgBackup.Errors;
using PgBackup.Formats;
using PgBackup.Policies;
using PgBackup.Repository.Catalog;

namespace PgBackup.Restore;

/// <summary>
/// What Patroni's create_replica_methods contract means for a standby restore (Patroni's
/// bootstrap.py, create_replica): Patroni calls the method with --scope, --role=replica, --datadir
/// and --connstring, after emptying the data directory unless the method is configured keep_data,
/// and writes its own recovery settings before it starts the server.
/// </summary>
public static class PatroniReplica
{
    /// <summary>Refuses to build a member of another cluster, or anything but a replica, from this policy's repository.</summary>
    public static void CheckCall(Policy policy, string? scope, string? role)
    {
        if (role is not null && role != "replica")
            throw new UsageException($"--role={role}: create-replica only builds replicas (Patroni passes --role=replica from create_replica_methods)");
        if (scope is not null && scope != policy.Cluster)
            throw new UsageException($"--scope={scope} is not the cluster of {policy.SourceFile} ({policy.Cluster}): give the policy of cluster {scope} in the method's command");
    }

    /// <summary>
    /// Whether the restore reuses what Patroni kept in <paramref name="dataDir"/> (keep_data), as
    /// --delta does. Where the backup's format cannot, the directory is emptied, as Patroni does
    /// itself without keep_data: the member is being rebuilt, and its old files are not a copy to keep.
    /// </summary>
    public static bool ReuseKeptData(string dataDir, BackupManifest backup)
    {
        if (!Directory.Exists(dataDir) || !Directory.EnumerateFileSystemEntries(dataDir).Any())
            return false;
        if (BackupFormats.Of(backup).CanRestoreDelta(backup))
            return true;
        foreach (var entry in new DirectoryInfo(dataDir).EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo { LinkTarget: null } directory) directory.Delete(recursive: true);
            else entry.Delete();
        }
        return false;
    }

    /// <summary>
    /// Patroni strips recovery settings from postgresql.auto.conf and writes its own, so our
    /// restore_command would never read the spool: its files go where PostgreSQL replays them unasked.
    /// </summary>
    public static void HandOverWal(string dataDir) => WalSpool.MoveIntoPgWal(dataDir);
}
