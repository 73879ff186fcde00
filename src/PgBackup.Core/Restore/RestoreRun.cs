using Microsoft.Extensions.Logging;
using PgBackup.Backup;
using PgBackup.Errors;
using PgBackup.Policies;
using PgBackup.Repository;

namespace PgBackup.Restore;

/// <summary>What a restore wrote.</summary>
public sealed record RestoreResult(BackupManifest Backup, string PgData, long BytesWritten, TimeSpan Duration);

/// <summary>
/// `pgbackup restore`, top-down: resolve the backup, refuse a non-empty target, lay out the
/// directories and files, fill them from the packs in parallel, check every file's SHA-256, put
/// the backup's WAL into pg_wal, and make the copy start standalone.
/// </summary>
public sealed class RestoreRun(Policy policy, ILogger log, IProgress<BackupProgress>? progress = null)
{
    public async Task<RestoreResult> RunAsync(RestoreOptions options, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        using var repository = policy.OpenRepository();
        var backup = await BackupCatalog.ResolveAsync(repository, options.BackupId, ct).ConfigureAwait(false);
        foreach (var oid in options.TablespaceMap.Keys.Where(oid => backup.Tablespaces.All(t => t.Oid != oid)))
            throw new UsageException($"--tablespace-map {oid}=...: backup {backup.Id} has no tablespace with OID {oid} (it has: {string.Join(", ", backup.Tablespaces.Select(t => $"{t.Oid} at {t.Location}").DefaultIfEmpty("none"))})");
        var target = new RestoreTarget(options.PgData,
            backup.Tablespaces.ToDictionary(t => t.Oid, t => options.TablespaceMap.GetValueOrDefault(t.Oid) ?? t.Location));
        log.LogInformation("Restoring backup {Backup} ({Size} bytes, from {Member}) into {PgData}", backup.Id, backup.DatabaseSize, backup.Source.Member, target.PgData);

        try
        {
            var files = new RestoredFiles(target, backup);
            files.CreateLayout();
            var download = new PackDownload(repository, backup, files);
            using (new BackupProgressReporter(progress, () => new BackupProgress("restoring", download.BytesWritten, backup.DatabaseSize, null, DateTimeOffset.UtcNow - started)))
                await download.RunAsync(ct).ConfigureAwait(false);
            await files.VerifyAsync(ct).ConfigureAwait(false);
            await RestoreEncodedAsync(repository, backup, backup.PostgresManifest, Path.Combine(target.PgData, "backup_manifest"), ct).ConfigureAwait(false);
            foreach (var segment in backup.Wal)
                await RestoreEncodedAsync(repository, backup, segment, Path.Combine(target.PgData, "pg_wal", segment.FileName), ct).ConfigureAwait(false);
            files.RewriteTablespaceMap();
            files.ApplyMetadata();
            await RecoveryConfiguration.ApplyAsync(target.PgData, backup, options.Port, [], ct).ConfigureAwait(false);
            return new RestoreResult(backup, target.PgData, download.BytesWritten, DateTimeOffset.UtcNow - started);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var why = e is PgBackupException ? e.Message : $"{e.GetType().Name}: {e.Message}";
            var errorClass = e is PgBackupException p ? p.Class : ErrorClass.OperationFailed;
            throw new PgBackupException(errorClass, $"{why.TrimEnd('.')}; {target.PgData} now holds an incomplete restore and is unusable: remove it before retrying", e);
        }
    }

    private static async Task RestoreEncodedAsync(BackupRepository repository, BackupManifest backup, EncodedObject obj, string path, CancellationToken ct)
    {
        var key = BackupObjects.Absolute(repository, backup.Id, obj.Key);
        string sha256;
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            sha256 = await Repository.Codecs.EncodedObjects.GetDecodedAsync(repository.Store, key, repository.Codec, file, ct).ConfigureAwait(false);
        if (sha256 != obj.PlainSha256)
            throw new RepositoryException($"'{key}' in {repository.Store.Describe} decodes to content with SHA-256 {sha256}, the manifest expects {obj.PlainSha256}: the object is damaged; verify the repository");
    }
}
