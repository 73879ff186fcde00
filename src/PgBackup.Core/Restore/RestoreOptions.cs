namespace PgBackup.Restore;

/// <summary>What `pgbackup restore` was asked to do.</summary>
/// <param name="BackupId">A backup id, "latest", or null to let the planner choose for the target.</param>
/// <param name="Timeline">Recovery target timeline; null for the newest archived one.</param>
/// <param name="TablespaceMap">Tablespace OID → directory to restore it into instead of its original location.</param>
/// <param name="Port">The port the restored server will listen on (a standby keeps its configuration's).</param>
/// <param name="Delta">Restore over an existing copy: keep files whose checksum matches, rewrite the rest.</param>
/// <param name="RestoreCommand">restore_command for the restored server (fetches WAL beyond what the restore spooled).</param>
/// <param name="WalDuringRecovery">The server is started right after (--start): archived WAL may still arrive while it recovers (<see cref="WalArrival"/>).</param>
/// <param name="ServerUser">The OS user the restored server runs as, when it is not this process's (we run as root).</param>
public sealed record RestoreOptions(
    string? BackupId,
    RecoveryTarget Target,
    uint? Timeline,
    string PgData,
    IReadOnlyDictionary<uint, string> TablespaceMap,
    int Port,
    bool Delta,
    string RestoreCommand,
    bool WalDuringRecovery = false,
    string? ServerUser = null);
