using PgBackup.Errors;
using PgBackup.Policies;

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

    /// <summary>What Patroni kept (keep_data) is reused as restore --delta reuses an earlier copy; an empty directory is restored into afresh.</summary>
    public static bool KeptData(string dataDir) => Directory.Exists(dataDir) && Directory.EnumerateFileSystemEntries(dataDir).Any();

    /// <summary>
    /// Patroni strips recovery settings from postgresql.auto.conf and writes its own, so our
    /// restore_command would never read the spool: its files go where PostgreSQL replays them unasked.
    /// </summary>
    public static void HandOverWal(string dataDir) => WalSpool.MoveIntoPgWal(dataDir);
}
