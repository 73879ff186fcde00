using PgBackup.Errors;
using PgBackup.Repository.Catalog;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Packs;
using PgBackup.Repository;

namespace PgBackup.Formats.ServerArchives;

/// <summary>
/// backup.compression: server. The source compresses its tar archives with zstd (its own worker
/// threads); PgBackup stores them as received, cut into SHA-256-checked pieces, and restores by
/// decompressing and untarring. Per-file checks are PostgreSQL's own backup_manifest CRC-32C.
/// </summary>
internal sealed class ServerArchivesFormat : IBackupFormat
{
    public const string FormatName = "server-archives";

    public static readonly ServerArchivesFormat Instance = new();

    public string Name => FormatName;

    public string CompressionLabel => RepositoryCodec.Name + " (by the source)";

    public SourceCompression SourceCompression(int level, int serverWorkers) => new("zstd", $"level={level},workers={serverWorkers}");

    /// <summary>The archives are stored compressed as the source sent them: no block hashes to compare an incremental with.</summary>
    public bool HasBlockMap(BackupManifest backup) => false;

    public IContentIngest StartIngest(PackWriter packs, BackupRepository repository, BackupManifest? reference, CancellationToken ct) =>
        reference is null ? new PieceIngest(packs, repository) : throw new ArgumentException("server archives have no block map to build an incremental on", nameof(reference));

    public bool CanRestoreDelta(BackupManifest backup) => false;

    public IContentRestore Restorer(BackupRepository repository, BackupManifest backup, IRestoreDestination destination, bool delta) =>
        delta
            ? throw new UsageException($"--delta needs a backup with per-file chunks; backup {backup.Id} was compressed by the source (backup.compression: server): restore into an empty directory")
            : new ArchiveUntar(repository, backup, destination);

    public Task CheckAsync(BackupRepository repository, BackupManifest backup, IContentFindings findings, CancellationToken ct) =>
        ArchiveCheck.RunAsync(repository, backup, findings, ct);
}
