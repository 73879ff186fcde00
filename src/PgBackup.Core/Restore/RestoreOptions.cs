namespace PgBackup.Restore;

/// <summary>What `pgbackup restore` was asked to do.</summary>
/// <param name="BackupId">A backup id or "latest".</param>
/// <param name="TablespaceMap">Tablespace OID → directory to restore it into instead of its original location.</param>
/// <param name="Port">The port the restored server will listen on.</param>
public sealed record RestoreOptions(
    string BackupId,
    string PgData,
    IReadOnlyDictionary<uint, string> TablespaceMap,
    int Port);
