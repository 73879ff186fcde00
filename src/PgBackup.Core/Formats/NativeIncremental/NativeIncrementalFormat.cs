using PgBackup.Formats.ClientChunks;
using PgBackup.Repository;
using PgBackup.Repository.Catalog;
using PgBackup.Repository.Packs;

namespace PgBackup.Formats.NativeIncremental;

/// <summary>
/// A PostgreSQL 17+ native incremental (BASE_BACKUP INCREMENTAL after UPLOAD_MANIFEST of the
/// reference's backup_manifest): the source reads and sends only the blocks its WAL summaries say
/// changed, as INCREMENTAL.* files beside the files it sends whole. The plain tar is stored exactly
/// as client chunks store it — the same ingest, block map included, so a whole file equal to the
/// reference's is not stored again — and PgBackup rebuilds the relation files from the chain on
/// restore, so the restore host needs no pg_combinebackup. Its own format, not client chunks,
/// because its files are not PGDATA's files: restoring it takes the chain.
/// </summary>
internal sealed class NativeIncrementalFormat : IBackupFormat
{
    public const string FormatName = BackupManifest.NativeIncrementalFormat;

    public static readonly NativeIncrementalFormat Instance = new();

    private static readonly ClientChunksFormat Chunks = ClientChunksFormat.Instance;

    public string Name => FormatName;

    public string CompressionLabel => Chunks.CompressionLabel;

    public SourceCompression SourceCompression(int level, int serverWorkers) => Chunks.SourceCompression(level, serverWorkers);

    /// <summary>Its chunks carry their hashes like any client-chunks backup's; a block-level incremental on it compares file by file.</summary>
    public bool HasBlockMap(BackupManifest backup) => Chunks.HasBlockMap(backup);

    public IContentIngest StartIngest(PackWriter packs, BackupRepository repository, BackupManifest? reference, CancellationToken ct) =>
        Chunks.StartIngest(packs, repository, reference, ct);

    public bool CanRestoreDelta(BackupManifest backup) => false;

    public IContentRestore Restorer(BackupRepository repository, BackupManifest backup, IRestoreDestination destination, bool delta) =>
        new NativeRestore(repository, backup, destination, delta);

    public async Task CheckAsync(BackupRepository repository, BackupManifest backup, IContentFindings findings, CancellationToken ct)
    {
        await Chunks.CheckAsync(repository, backup, findings, ct).ConfigureAwait(false);
        await NativeChainCheck.RunAsync(repository, backup, findings, ct).ConfigureAwait(false);
    }
}
