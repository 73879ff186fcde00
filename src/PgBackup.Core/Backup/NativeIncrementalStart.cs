using Microsoft.Extensions.Logging;
using PgBackup.Errors;
using PgBackup.Formats;
using PgBackup.Policies;
using PgBackup.Postgres.Replication;
using PgBackup.Repository;
using PgBackup.Repository.Catalog;
using PgBackup.Repository.Codecs;

namespace PgBackup.Backup;

/// <summary>
/// Starts a diff or incr as a PostgreSQL 17+ native incremental where the source can take one:
/// UPLOAD_MANIFEST with the reference's backup_manifest, then BASE_BACKUP INCREMENTAL, so the
/// source reads and sends only the blocks its WAL summaries name. Where it cannot — PostgreSQL
/// before 17, summarize_wal off, or a server that refuses the manifest (no summaries back to the
/// reference's start, or no checkpoint since the reference on a quiet standby) — the backup is
/// block-level on client chunks instead, which works on every version, with one line saying why.
/// </summary>
internal static class NativeIncrementalStart
{
    /// <summary>server_version_num of the first PostgreSQL with UPLOAD_MANIFEST and BASE_BACKUP INCREMENTAL.</summary>
    public const int FirstVersionNum = 170000;

    /// <summary>Starts BASE_BACKUP for an incremental on <paramref name="reference"/>; returns the format it is taken in.</summary>
    public static async Task<(IBackupFormat Format, BaseBackupStream Stream)> StartAsync(
        SourceSession source, BackupRepository repository, string backupId, BackupManifest reference, string member, ILogger log, CancellationToken ct)
    {
        var blockLevel = BackupFormats.For(CompressionSite.Client);
        var plain = blockLevel.SourceCompression(0, 0);
        if (await CannotAsync(source, ct).ConfigureAwait(false) is { } cannot)
        {
            log.LogInformation("Taking a block-level incremental: the source {Member} cannot take a native one: {Reason}", member, cannot);
            return (blockLevel, await source.StartBaseBackupAsync(backupId, plain, ct).ConfigureAwait(false));
        }
        try
        {
            await UploadReferenceManifestAsync(source, repository, reference, ct).ConfigureAwait(false);
            var stream = await source.StartBaseBackupAsync(backupId, plain, ct, incremental: true).ConfigureAwait(false);
            log.LogInformation("Taking a native incremental: {Member} sends only the blocks changed since {Reference} started at {Lsn}", member, reference.Id, reference.StartLsn);
            return (BackupFormats.NativeIncremental, stream);
        }
        catch (OperationFailedException e) when (e.InnerException is PostgresServerError { Severity: "ERROR" } error)
        {
            // An ERROR (not FATAL) before any data: the server is back at ReadyForQuery, and a plain
            // BASE_BACKUP on the same connection ignores the uploaded manifest.
            log.LogWarning("Taking a block-level incremental: the source {Member} refused a native one on {Reference}: {Reason}", member, reference.Id, error.Text);
            return (blockLevel, await source.StartBaseBackupAsync(backupId, plain, ct).ConfigureAwait(false));
        }
    }

    internal static async Task<string?> CannotAsync(SourceSession source, CancellationToken ct)
    {
        if (source.ServerVersionNum < FirstVersionNum)
            return $"it runs PostgreSQL {source.PgMajor}, which has no native incremental backups (17 and later have)";
        var summarize = await source.Data.ShowAsync("summarize_wal", ct).ConfigureAwait(false);
        return summarize == "on" ? null : $"its summarize_wal is {summarize} (set it on, on every member, for native incrementals)";
    }

    /// <summary>
    /// The reference's backup_manifest, as PostgreSQL wrote it, via a temporary file: it grows with
    /// the number of files (hundreds of MiB for millions), so it is not held in memory, and its
    /// checksum is proven before the server sees a byte.
    /// </summary>
    private static async Task UploadReferenceManifestAsync(SourceSession source, BackupRepository repository, BackupManifest reference, CancellationToken ct)
    {
        var key = BackupObjects.Absolute(repository, reference.Id, reference.PostgresManifest.Key);
        await using var file = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        var decoded = await repository.Store.GetDecodedAsync(key, repository.Codec, file, ct).ConfigureAwait(false);
        if (decoded.PlainSha256 != reference.PostgresManifest.PlainSha256)
            throw new RepositoryException($"'{key}' of backup {reference.Id} decodes to content with SHA-256 {decoded.PlainSha256}, its manifest expects {reference.PostgresManifest.PlainSha256}: the reference is damaged; run `pgbackup verify {reference.Id}`");
        file.Position = 0;
        await source.Data.UploadManifestAsync(file, ct).ConfigureAwait(false);
    }
}
