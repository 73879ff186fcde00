using PgBackup.Repository.Catalog;
using PgBackup.Repository.Packs;
using PgBackup.Repository;

namespace PgBackup.Formats;

/// <summary>
/// How a backup's data lives in the repository: one implementation per format, chosen once per
/// backup (<see cref="BackupFormats"/>). The verbs never ask which format they hold; they ask the
/// format to ingest BASE_BACKUP's archives, to restore, and to check what it stored. Everything
/// around the data — packs, the backup's WAL, PostgreSQL's backup_manifest, manifest.json — is the
/// same for every format and stays with the verbs.
/// </summary>
public interface IBackupFormat
{
    /// <summary>The manifest's <c>format</c> value.</summary>
    string Name { get; }

    /// <summary>The manifest's <c>compression</c> text (e.g. "zstd (by the source)").</summary>
    string CompressionLabel { get; }

    /// <summary>BASE_BACKUP's COMPRESSION and COMPRESSION_DETAIL; nulls for a plain tar stream.</summary>
    SourceCompression SourceCompression(int level, int serverWorkers);

    /// <summary>Whether a backup of this format can serve as an incremental's reference (it records a block map).</summary>
    bool HasBlockMap(BackupManifest backup);

    /// <summary>Starts taking BASE_BACKUP's archives into <paramref name="packs"/>.</summary>
    /// <param name="reference">For an incremental: the backup it builds on, one for which <see cref="HasBlockMap"/> holds.</param>
    IContentIngest StartIngest(PackWriter packs, BackupRepository repository, BackupManifest? reference, CancellationToken ct);

    /// <summary>Whether --delta can restore <paramref name="backup"/> over an earlier copy (it knows each file's checksum before writing it).</summary>
    bool CanRestoreDelta(BackupManifest backup);

    /// <summary>Writes a backup of this format into <paramref name="destination"/>.</summary>
    /// <param name="delta">Reuse the files that match (--delta); a format that cannot tell refuses with a usage error here, before anything is written.</param>
    IContentRestore Restorer(BackupRepository repository, BackupManifest backup, IRestoreDestination destination, bool delta);

    /// <summary>Decodes every byte of the backup's data and checks it against the manifest, reporting each fault.</summary>
    Task CheckAsync(BackupRepository repository, BackupManifest backup, IContentFindings findings, CancellationToken ct);
}

/// <summary>What BASE_BACKUP is asked to compress with; both null when it sends plain tar.</summary>
public sealed record SourceCompression(string? Method, string? Detail);
