namespace PgBackup.Formats;

/// <summary>The restore side of a format: a backup's data written into the destination, every file checked.</summary>
public interface IContentRestore
{
    /// <summary>
    /// Lays out the destination before content arrives; for --delta it first keeps the files that
    /// already match the backup and removes whatever the backup does not have.
    /// </summary>
    Task PrepareAsync(CancellationToken ct);

    /// <summary>Writes every file's content and checks it against the backup's checksums.</summary>
    /// <param name="postgresManifest">PostgreSQL's backup_manifest, already restored into PGDATA.</param>
    Task WriteAsync(string postgresManifest, CancellationToken ct);

    /// <summary>Sets modes and modification times as recorded, once every file is written.</summary>
    void ApplyMetadata();

    /// <summary>Plain bytes written so far (may be read from another thread).</summary>
    long BytesWritten { get; }

    /// <summary>Whether <see cref="WriteAsync"/> flushed every file it wrote to disk; if not, the restore's end flushes them.</summary>
    bool FlushesFiles { get; }

    /// <summary>Files a --delta restore kept as they were.</summary>
    int FilesKept { get; }
}
