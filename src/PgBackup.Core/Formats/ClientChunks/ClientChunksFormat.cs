using PgBackup.Repository.Catalog;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Packs;
using PgBackup.Repository;

namespace PgBackup.Formats.ClientChunks;

/// <summary>
/// backup.compression: client. The source sends plain tar; PgBackup cuts every file into chunks
/// (<see cref="RepositoryDescriptor.DefaultChunkSize"/>), compresses them on its own cores and
/// records each file's SHA-256 — per-file checksums of its own, which --delta and verify build on.
/// </summary>
internal sealed class ClientChunksFormat : IBackupFormat
{
    public const string FormatName = "client-chunks";

    public static readonly ClientChunksFormat Instance = new();

    public string Name => FormatName;

    public string CompressionLabel => RepositoryCodec.Name;

    public SourceCompression SourceCompression(int level, int serverWorkers) => new(null, null);

    /// <summary>Every chunk carries the hash of its content, and the chunks are cut at the size this version cuts at.</summary>
    public bool HasBlockMap(BackupManifest backup) =>
        backup.ChunkSize == RepositoryDescriptor.DefaultChunkSize && backup.Files.All(f => f.Chunks.All(c => c.PlainSha256 is not null));

    public IContentIngest StartIngest(PackWriter packs, BackupRepository repository, BackupManifest? reference, CancellationToken ct) =>
        new ChunkIngest(packs, repository, reference is null ? null : new BlockMap(repository, reference), RepositoryDescriptor.DefaultChunkSize, Environment.ProcessorCount, ct);

    public bool CanRestoreDelta(BackupManifest backup) => true;

    public IContentRestore Restorer(BackupRepository repository, BackupManifest backup, IRestoreDestination destination, bool delta) =>
        new ChunkRestore(repository, backup, destination, delta);

    public Task CheckAsync(BackupRepository repository, BackupManifest backup, IContentFindings findings, CancellationToken ct) =>
        new ChunkCheck(repository, backup, findings).RunAsync(ct);
}
