using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using PgBackup.Cluster;
using PgBackup.Errors;
using PgBackup.Policies;
using PgBackup.Postgres;
using PgBackup.Postgres.Replication;
using PgBackup.Repository;
using PgBackup.Repository.Packs;
using PgBackup.Repository.Catalog;

namespace PgBackup.Backup;

/// <summary>
/// `pgbackup backup`, top-down: pick the healthiest replica, stream BASE_BACKUP from it into
/// chunked, compressed packs while a second connection streams the WAL the backup needs, then
/// publish manifest.json — last, so nothing incomplete is ever listed. A source that fails
/// mid-way fails the attempt cleanly; with retries the next healthiest member is tried.
/// </summary>
public sealed class BackupRun(Policy policy, ILogger log, IProgress<BackupProgress>? progress = null)
{
    public const int ChunkSize = RepositoryDescriptor.DefaultChunkSize;

    /// <summary>32 MiB packs: few objects per GiB, and at most three in memory (one filling, two uploading).</summary>
    public const int PackSize = 32 << 20;

    private static readonly TimeSpan WalWait = TimeSpan.FromMinutes(2);

    public async Task<BackupManifest> RunAsync(int retries, CancellationToken ct)
    {
        using var repository = policy.OpenRepository();
        var removed = await BackupCatalog.RemoveDebrisAsync(repository, log, ct).ConfigureAwait(false);
        if (removed > 0) log.LogInformation("Removed the debris of {Count} dead backup(s)", removed);

        var failedMembers = new HashSet<string>(StringComparer.Ordinal);
        // With retries, a source failing over is waited out (backup.retry_wait) instead of failing at the next choice.
        var wait = retries > 0 ? policy.Backup.RetryWait : TimeSpan.Zero;
        for (var attempt = 0; ; attempt++)
        {
            var member = await QualifyingSource.ChooseAsync(new SourceSelector(policy, log), failedMembers, wait, log, ct).ConfigureAwait(false);
            log.LogInformation("Backing up cluster {Cluster} from {Member} ({Host}:{Port})", policy.Cluster, member.Name, member.Host, member.Port);
            try
            {
                return await BackupFromAsync(repository, member, ct).ConfigureAwait(false);
            }
            catch (PgBackupException e) when (e is OperationFailedException or SourceUnavailableException && attempt < retries && !ct.IsCancellationRequested)
            {
                log.LogWarning("{Reason}; retrying from the next healthiest member", e.Message);
                failedMembers.Add(member.Name);
            }
        }
    }

    private async Task<BackupManifest> BackupFromAsync(BackupRepository repository, ClusterMember member, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        var settings = policy.Replication(member.Host!, member.Port!.Value, "pgbackup");
        await using var data = await ReplicationConnection.OpenAsync(settings, ct).ConfigureAwait(false);
        await using var walConnection = await ReplicationConnection.OpenAsync(settings, ct).ConfigureAwait(false);
        var system = await data.IdentifySystemAsync(ct).ConfigureAwait(false);
        var segmentSize = ServerSetting.ParseBytes(await data.ShowAsync("wal_segment_size", ct).ConfigureAwait(false));
        var serverVersion = int.Parse(await data.ShowAsync("server_version_num", ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
        await RepositoryDescriptor.OpenOrCreateAsync(repository.Store, repository.Layout, new RepositoryDescriptor
        {
            SystemIdentifier = system.SystemId,
            PgMajor = serverVersion / 10000,
            ChunkSize = ChunkSize,
            CreatedAt = started,
            KeyCheck = repository.Codec.Key?.KeyCheck,
        }, ct).ConfigureAwait(false);

        var taken = (await BackupCatalog.ListAsync(repository, ct).ConfigureAwait(false)).Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
        var id = BackupId.For(started, taken);
        var lease = BackupLease.ForThisProcess();
        await lease.WriteAsync(repository, id, ct).ConfigureAwait(false);
        using var running = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var heartbeat = HeartbeatAsync(repository, id, lease, running.Token);
        try
        {
            // A TEMPORARY slot pins the WAL from the start of the backup and vanishes with the connection, however we die.
            var slot = "pgbackup_backup_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
            await walConnection.CreatePhysicalSlotAsync(slot, reserveWal: true, ct, temporary: true).ConfigureAwait(false);

            var serverSide = policy.Backup.Compression == CompressionSite.Server;
            await using var packs = new PackWriter(repository.Store, repository.Layout, id, PackSize);
            await using var backup = await data.StartBaseBackupAsync(new BaseBackupOptions
            {
                Label = "pgbackup " + id,
                // pg_verifybackup needs checksums; CRC32C costs the source far less CPU than SHA-256.
                ManifestChecksums = "CRC32C",
                Compression = serverSide ? "zstd" : null,
                CompressionDetail = serverSide ? $"level={repository.Codec.CompressionLevel},workers={policy.Backup.ServerWorkers}" : null,
            }, ct).ConfigureAwait(false);
            log.LogInformation("Backup {Backup} started at {Lsn} on timeline {Timeline}", id, backup.StartLsn, backup.StartTimeline);
            var wal = await BackupWalCollector.StartAsync(walConnection, slot, backup.StartLsn, backup.StartTimeline, segmentSize, repository, id, log, ct).ConfigureAwait(false);

            // Client side: our workers compress chunks. Server side: the source's zstd did, we only store.
            await using var ingest = serverSide ? null : new ArchiveIngest(packs, repository.Codec, ChunkSize, Environment.ProcessorCount, ct);
            var serverIngest = serverSide ? new ServerCompressedIngest(packs, repository.Codec) : null;
            long BytesDone() => ingest?.BytesRead ?? backup.BytesDoneReportedByServer;
            using var reporter = new BackupProgressReporter(progress, () => new BackupProgress("copying", BytesDone(), backup.TotalEstimate, ingest?.CurrentFile, DateTimeOffset.UtcNow - started));
            EncodedObject? postgresManifest = null;
            while (await backup.NextArchiveAsync(ct).ConfigureAwait(false) is { } archive)
            {
                if (archive.IsManifest)
                    postgresManifest = await BackupObjects.PutEncodedAsync(repository, id, repository.Layout.PostgresBackupManifest(id), archive.Content, ct).ConfigureAwait(false);
                else if (serverIngest is not null)
                    await serverIngest.IngestAsync(archive.Content, TablespaceOid(backup, archive), archive.Name, ct).ConfigureAwait(false);
                else
                    await ingest!.IngestAsync(archive.Content, TablespaceOid(backup, archive), ct).ConfigureAwait(false);
            }
            if (backup.EndTimeline != backup.StartTimeline)
                throw new OperationFailedException($"the source changed timeline from {backup.StartTimeline} to {backup.EndTimeline} during the backup; the backup is discarded");
            if (ingest is not null) await ingest.CompleteAsync().ConfigureAwait(false);
            await packs.CompleteAsync(ct).ConfigureAwait(false);
            reporter.Report(new BackupProgress("storing WAL", BytesDone(), backup.TotalEstimate, null, DateTimeOffset.UtcNow - started));
            var walSegments = (await wal.FinishAsync(backup.EndLsn, WalWait, ct).ConfigureAwait(false)).ToList();
            var history = TimelineHistory.ForFirstTimeline;
            if (backup.StartTimeline > 1)
            {
                // Recovery to timeline N needs N's history file: keep it with the backup, as pg_basebackup -X stream does.
                var file = await data.TimelineHistoryAsync(backup.StartTimeline, ct).ConfigureAwait(false);
                history = TimelineHistory.Parse(backup.StartTimeline, System.Text.Encoding.UTF8.GetString(file.Content));
                using var content = new MemoryStream(file.Content, writable: false);
                walSegments.Add(await BackupObjects.PutEncodedAsync(repository, id, repository.Layout.BackupHistory(id, backup.StartTimeline), content, ct).ConfigureAwait(false));
            }
            reporter.Report(new BackupProgress("checking WAL", BytesDone(), backup.TotalEstimate, null, DateTimeOffset.UtcNow - started));
            var lastRecord = await BackupWalProof.CheckAsync(repository, id, walSegments, backup.StartLsn, backup.EndLsn, history, system.SystemId, segmentSize, ct).ConfigureAwait(false);

            var storedPacks = packs.StoredPacks;
            var packIndex = storedPacks.Select((p, i) => (p.Key, i)).ToDictionary(p => p.Key, p => p.i, StringComparer.Ordinal);
            var files = ingest?.Entries(key => packIndex[key]) ?? [];
            var archives = serverIngest?.Archives(key => packIndex[key]) ?? [];
            var pgManifest = postgresManifest ?? throw new OperationFailedException("the source sent no backup_manifest; the backup is discarded");
            var manifest = new BackupManifest
            {
                Id = id,
                Cluster = policy.Cluster,
                SystemIdentifier = system.SystemId,
                ServerVersionNum = serverVersion,
                ToolVersion = ToolVersion,
                Source = new BackupSource(member.Name, member.Host!, member.Port!.Value),
                StartTime = started,
                EndTime = DateTimeOffset.UtcNow,
                StartLsn = backup.StartLsn,
                EndLsn = backup.EndLsn,
                LastRecordLsn = lastRecord,
                Timeline = backup.StartTimeline,
                WalSegmentSize = segmentSize,
                Compression = Repository.Codecs.RepositoryCodec.Name + (serverSide ? " (by the source)" : ""),
                CompressionLevel = repository.Codec.CompressionLevel,
                ChunkSize = ChunkSize,
                DatabaseSize = serverSide ? backup.BytesDoneReportedByServer : files.Sum(f => f.Size),
                StoredSize = storedPacks.Sum(p => p.Size) + walSegments.Sum(w => w.StoredSize) + pgManifest.StoredSize,
                Tablespaces = backup.Tablespaces.Where(t => t.Oid is not null).Select(t => new BackupTablespace(t.Oid!.Value, t.Location!)).ToList(),
                Files = files,
                Archives = archives,
                Packs = storedPacks.Select(p => new StoredObject(BackupObjects.Relative(repository, id, p.Key), p.Size, p.Sha256)).ToList(),
                Wal = walSegments,
                PostgresManifest = pgManifest,
            };
            await running.CancelAsync().ConfigureAwait(false);
            await heartbeat.ConfigureAwait(false);
            await BackupCatalog.WriteManifestAsync(repository, manifest, ct).ConfigureAwait(false);
            await repository.Store.DeleteAsync(repository.Layout.BackupLease(id), ct).ConfigureAwait(false);
            log.LogInformation("Backup {Backup} complete: {Files} files, {Size} bytes of data, {Stored} bytes stored, {Lsn} to {EndLsn}",
                id, files.Count, manifest.DatabaseSize, manifest.StoredSize, manifest.StartLsn, manifest.EndLsn);
            return manifest;
        }
        catch (Exception e)
        {
            await running.CancelAsync().ConfigureAwait(false);
            await heartbeat.ConfigureAwait(false);
            await DiscardAsync(repository, id).ConfigureAwait(false);
            // The replication client and the WAL collector know only host:port or "the source":
            // the one line the user reads must say which member the failed attempt copied from.
            if (e is InvalidDataException or IOException or OperationFailedException)
                throw new OperationFailedException($"backup from {member.Name} failed: {e.Message}", e);
            if (e is SourceUnavailableException)
                throw new SourceUnavailableException($"backup from {member.Name} failed: {e.Message}", e);
            throw;
        }
    }

    private static uint? TablespaceOid(BaseBackupStream backup, BaseBackupArchive archive) =>
        archive.TablespaceLocation is null ? null
            : backup.Tablespaces.FirstOrDefault(t => t.Location == archive.TablespaceLocation)?.Oid
              ?? throw new OperationFailedException($"archive {archive.Name} belongs to no announced tablespace");

    /// <summary>Best effort: a later run removes whatever this leaves, because the lease names a dead process.</summary>
    private async Task DiscardAsync(BackupRepository repository, string id)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await BackupCatalog.RemoveIncompleteAsync(repository, id, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            log.LogWarning("Could not remove the objects of failed backup {Backup} now ({Reason}); the next backup will", id, e.Message);
        }
    }

    private static async Task HeartbeatAsync(BackupRepository repository, string id, BackupLease lease, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(BackupLease.HeartbeatInterval, ct).ConfigureAwait(false);
                await (lease with { Heartbeat = DateTimeOffset.UtcNow }).WriteAsync(repository, id, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public static string ToolVersion { get; } =
        typeof(BackupRun).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0";
}
