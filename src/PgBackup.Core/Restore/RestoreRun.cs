using Microsoft.Extensions.Logging;
using PgBackup.Errors;
using PgBackup.Formats;
using PgBackup.Policies;
using PgBackup.Repository.Catalog;
using PgBackup.Repository;
using PgBackup.IO;

namespace PgBackup.Restore;

/// <summary>What a restore wrote.</summary>
/// <param name="Directories">PGDATA and every tablespace directory written.</param>
/// <param name="WalSegments">Archived segments spooled, or to be spooled while the server recovers (<paramref name="Arrival"/>).</param>
public sealed record RestoreResult(RestorePlan Plan, string PgData, IReadOnlyList<string> Directories, long BytesWritten, int FilesKept, long WalSegments, TimeSpan Duration, WalArrival Arrival);

/// <summary>
/// `pgbackup restore`, top-down: plan (backup, timeline path, WAL), refuse a non-empty target
/// unless --delta, lay out directories and files, fill them from the packs in parallel, check
/// every file's SHA-256, put the backup's WAL and the archived WAL up to the target into the WAL
/// spool restore_command takes them from, and write the recovery settings so the copy recovers to the target and runs standalone
/// (or, with <see cref="RecoveryTarget.Standby"/>, joins as a standby: standby.signal, no target, every later timeline).
/// </summary>
public sealed class RestoreRun(Policy policy, ILogger log, IProgress<CopyProgress>? progress = null)
{
    /// <param name="plan">The plan the caller already showed (restore prints it first); null to plan here.</param>
    public async Task<RestoreResult> RunAsync(RestoreOptions options, CancellationToken ct, RestorePlan? plan = null)
    {
        var started = DateTimeOffset.UtcNow;
        using var repository = policy.OpenRepository();
        plan ??= await new RestorePlanner(repository).PlanAsync(options.Target, options.BackupId, options.Timeline, ct).ConfigureAwait(false);
        var backup = plan.Backup;
        foreach (var oid in options.TablespaceMap.Keys.Where(oid => backup.Tablespaces.All(t => t.Oid != oid)))
            throw new UsageException($"--tablespace-map {oid}=...: backup {backup.Id} has no tablespace with OID {oid} (it has: {string.Join(", ", backup.Tablespaces.Select(t => $"{t.Oid} at {t.Location}").DefaultIfEmpty("none"))})");
        var target = new RestoreTarget(options.PgData,
            backup.Tablespaces.ToDictionary(t => t.Oid, t => options.TablespaceMap.GetValueOrDefault(t.Oid) ?? t.Location), options.Delta);
        var content = BackupFormats.Of(backup).Restorer(repository, backup, target, options.Delta);
        log.LogInformation("Restoring backup {Backup} ({Size} bytes, from {Member}) into {PgData}, recovering to {Target} on timeline {Timeline}",
            backup.Id, backup.DatabaseSize, backup.Source.Member, target.PgData, options.Target.Describe(), plan.Timeline);

        try
        {
            RestoreCompletion.Begin(target, backup.Id);
            await content.PrepareAsync(ct).ConfigureAwait(false);
            var pgManifest = Path.Combine(target.PgData, "backup_manifest");
            await RestoreEncodedAsync(repository, backup, backup.PostgresManifest, pgManifest, ct).ConfigureAwait(false);
            var spool = WalSpool.Create(target.PgData);
            var wal = new ArchivedWalDownload(repository, plan, spool, options.ServerUser is { } user ? FileOwner.Of(user) : null);
            using (new CopyProgressReporter(progress, () => new CopyProgress(content.BytesWritten < backup.DatabaseSize ? "restoring" : "fetching WAL",
                       content.BytesWritten + wal.SegmentsWritten * backup.WalSegmentSize, backup.DatabaseSize + plan.WalSegments * backup.WalSegmentSize, null, DateTimeOffset.UtcNow - started)))
            {
                await content.WriteAsync(pgManifest, ct).ConfigureAwait(false);
                foreach (var segment in backup.Wal.Where(w => !wal.Delivers(w.FileName)))
                {
                    // In pg_wal as pg_basebackup leaves it (pg_verifybackup reads it there), and spooled for recovery.
                    var path = Path.Combine(target.PgData, "pg_wal", segment.FileName);
                    await RestoreEncodedAsync(repository, backup, segment, path, ct).ConfigureAwait(false);
                    HardLink.CreateOrCopy(path, Path.Combine(spool, segment.FileName));
                }
                await wal.FetchHistoriesAsync(ct).ConfigureAwait(false);
                if (!options.WalDuringRecovery)
                    await wal.FetchSegmentsAsync(ct).ConfigureAwait(false);
            }
            TablespaceMap.Write(target, backup);
            content.ApplyMetadata();
            RecoveryConfiguration.Apply(target.PgData, backup, options.Target, options.Port, RecoverySettings(options, plan));
            // The spool's files were flushed as they were written, and so were the content's where its format does that.
            await RestoreCompletion.CompleteAsync(target, spool, flushFiles: !content.FlushesFiles, ct).ConfigureAwait(false);
            var arrival = options.WalDuringRecovery ? WalArrival.Start(wal, spool, ct) : WalArrival.None;
            return new RestoreResult(plan, target.PgData, target.Roots.ToList(), content.BytesWritten, content.FilesKept,
                options.WalDuringRecovery ? wal.Segments.Count : wal.SegmentsWritten, DateTimeOffset.UtcNow - started, arrival);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // An I/O error (a full disk above all) is foreseen: its own message says what happened.
            var why = e is PgBackupException or IOException ? e.Message : $"{e.GetType().Name}: {e.Message}";
            var errorClass = e is PgBackupException p ? p.Class : ErrorClass.OperationFailed;
            throw new PgBackupException(errorClass, $"{why.TrimEnd('.')}; {target.PgData} now holds an incomplete restore that PostgreSQL cannot start ({RestoreTarget.PgControl} is not in place): remove it before retrying", e);
        }
    }

    // A standby follows its primary onto every later timeline; a recovery stays on the one it planned for.
    private static IEnumerable<string> RecoverySettings(RestoreOptions options, RestorePlan plan) =>
        options.Target.Settings(plan.Backup.LastRecordLsn)
            .Append($"recovery_target_timeline = '{(options.Target.IsStandby ? "latest" : plan.Timeline)}'")
            .Concat(WalSpool.Settings(options.RestoreCommand));

    private static async Task RestoreEncodedAsync(BackupRepository repository, BackupManifest backup, EncodedObject obj, string path, CancellationToken ct)
    {
        var key = BackupObjects.Absolute(repository, backup.Id, obj.Key);
        string sha256;
        await using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            sha256 = (await Repository.Codecs.EncodedObjects.GetDecodedAsync(repository.Store, key, repository.Codec, file, ct).ConfigureAwait(false)).PlainSha256;
            file.Flush(flushToDisk: true);
        }
        if (sha256 != obj.PlainSha256)
            throw new RepositoryException($"'{key}' in {repository.Store.Describe} decodes to content with SHA-256 {sha256}, the manifest expects {obj.PlainSha256}: the object is damaged; verify the repository");
    }
}
