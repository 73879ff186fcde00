using PgBackup.Errors;
using PgBackup.Formats.ClientChunks;
using PgBackup.Formats.NativeIncremental;
using PgBackup.Formats.ServerArchives;
using PgBackup.Policies;
using PgBackup.Repository.Catalog;

namespace PgBackup.Formats;

/// <summary>The one place a backup's format is chosen: from the policy when taking it, from its manifest ever after.</summary>
public static class BackupFormats
{
    public static IBackupFormat For(CompressionSite site) => site switch
    {
        CompressionSite.Server => ServerArchivesFormat.Instance,
        _ => ClientChunksFormat.Instance,
    };

    /// <summary>A PostgreSQL 17+ native incremental (BASE_BACKUP INCREMENTAL), when the source takes one.</summary>
    public static IBackupFormat NativeIncremental => NativeIncrementalFormat.Instance;

    /// <exception cref="RepositoryException">The manifest names a format this version does not know.</exception>
    public static IBackupFormat Of(BackupManifest backup) => backup.Format switch
    {
        ClientChunksFormat.FormatName => ClientChunksFormat.Instance,
        ServerArchivesFormat.FormatName => ServerArchivesFormat.Instance,
        NativeIncrementalFormat.FormatName => NativeIncrementalFormat.Instance,
        // Manifests written before the format was recorded: only server-archives backups have archives.
        null => backup.Archives.Count > 0 ? ServerArchivesFormat.Instance : ClientChunksFormat.Instance,
        var unknown => throw new RepositoryException($"backup {backup.Id} has format '{unknown}', which this pgbackup does not know; use the pgbackup version that wrote it"),
    };
}
