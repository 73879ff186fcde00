using PgBackup.Repository.Catalog;
using PgBackup.Repository.Packs;

namespace PgBackup.Formats;

/// <summary>The backup side of a format: BASE_BACKUP's archives in, manifest entries out.</summary>
public interface IContentIngest : IAsyncDisposable
{
    /// <summary>Reads one archive to its end. <paramref name="tablespace"/> is null for the main data directory.</summary>
    Task IngestAsync(Stream archive, string name, uint? tablespace, CancellationToken ct);

    /// <summary>Plain bytes of file content taken so far, or null when only the source knows (its progress reports).</summary>
    long? BytesRead { get; }

    /// <summary>The file being read, for progress; null when the format does not look inside the archives.</summary>
    string? CurrentFile { get; }

    /// <summary>Waits until everything ingested has been appended to the packs.</summary>
    Task CompleteAsync();

    /// <summary>The manifest's entries, once the packs are stored.</summary>
    /// <param name="stored">The packs this backup stored.</param>
    /// <param name="sourceReportedBytes">The plain size the source reported sending.</param>
    BackupContent Content(IReadOnlyList<StoredPack> stored, long sourceReportedBytes);
}

/// <summary>What a format puts into manifest.json: file entries or archives, the packs they point into, and the plain size of the data.</summary>
public sealed record BackupContent(IReadOnlyList<BackupFile> Files, IReadOnlyList<BackupArchive> Archives, IReadOnlyList<StoredObject> Packs, long DatabaseSize);
