using System.Reflection;
using Microsoft.Extensions.Logging;
using PgBackup.Cluster;
using PgBackup.Errors;
using PgBackup.Formats;
using PgBackup.Policies;
using PgBackup.Postgres.Replication;
using PgBackup.Postgres;
using PgBackup.Repository.Catalog;
using PgBackup.Repository.Packs;
using PgBackup.Repository;
using PgBackup.IO;

namespace PgBackup.Backup;

/// <summary>
/// `pgbackup backup`, top-down: remove dead backups' debris, pick the healthiest replica, and from
/// it: open the source, agree on the repository, take an id and a lease, pin the WAL with a
/// temporary slot, stream BASE_BACKUP into the backup's format while a second connection streams
/// the WAL the backup needs, store that WAL and the timeline's history, prove the WAL record by
/// record, then publish manifest.json — last, so nothing incomplete is ever listed. A source that
/// fails mid-way fails the attempt cleanly; with retries the next healthiest member is tried.
/// </summary>
public sealed class BackupRun(Policy policy, ILogger log, IProgress<CopyProgress>? progress = null)
{
    /// <summary>32 MiB packs: few objects per GiB, and at most three in memory (one filling, two uploading).</summary>
    public const int PackSize = 32 << 20;

    private static readonly TimeSpan WalWait = TimeSpan.FromMinutes(2);

    /// <param name="type">Full, diff or incr; a diff or incr with nothing usable to build on becomes a full and says why.</param>
    public async Task<BackupManifest> RunAsync(BackupType type, int retries, CancellationToken ct)
    {
        using var repository = policy.OpenRepository();
        var removed = await BackupCatalog.RemoveDebrisAsync(repository, log, ct).ConfigureAwait(false);
        if (removed > 0) log.LogInformation("Removed the debris of {Count} dead backup(s)", removed);

        var failedMembers = new HashSet<string>(StringComparer.Ordinal);
        // With retries, a source failing over is waited out (backup.retry_wait) instead of failing at the next choice.
        var wait = retries > 0 ? policy.Backup.RetryWait : TimeSpan.Zero;
        for (var attempt = 0; ; attempt++)
        {
            // What an incremental may build on, read afresh for each attempt (a retry may come minutes later, after an
            // expire): the same list chooses the reference, and its candidate's member is the preferred source.
            IReadOnlyList<BackupManifest> complete = type == BackupType.Full ? [] : await BackupCatalog.ListCompleteAsync(repository, ct).ConfigureAwait(false);
            var referenceMember = ReferenceChoice.Candidate(type, complete)?.Source.Member;
            var chosen = await QualifyingSource.ChooseAsync(new SourceSelector(policy, log, referenceMember), failedMembers, wait, log, ct).ConfigureAwait(false);
            var member = chosen.Member;
            log.LogInformation("Backing up cluster {Cluster} from {Member} ({Host}:{Port}), {Verdict}", policy.Cluster, member.Name, member.Host, member.Port, chosen.Verdict);
            if (referenceMember is not null && referenceMember != member.Name)
                log.LogInformation("The backup to build on was taken from {Reference}, which ranks lower now (`pgbackup cluster` says why): unchanged blocks whose bytes differ between members (hint bits) are stored again", referenceMember);
            try
            {
                return await BackupFromAsync(repository, member, type, complete, ct).ConfigureAwait(false);
            }
            catch (PgBackupException e) when (e is OperationFailedException or SourceUnavailableException && attempt < retries && !ct.IsCancellationRequested)
            {
                log.LogWarning("{Reason}; retrying from the next healthiest member", e.Message);
                failedMembers.Add(member.Name);
            }
        }
    }

    /// <summary>One attempt from one member; whatever it stored is discarded if any step fails.</summary>
    /// <param name="complete">The repository's complete backups (for a diff or incr): what it may build on.</param>
    private async Task<BackupManifest> BackupFromAsync(BackupRepository repository, ClusterMember member, BackupType type, IReadOnlyList<BackupManifest> complete, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        await using var source = await SourceSession.OpenAsync(policy, member, ct).ConfigureAwait(false);
        await AgreeOnRepositoryAsync(repository, source, started, ct).ConfigureAwait(false);
        var id = await NewIdAsync(repository, started, ct).ConfigureAwait(false);
        var basis = await ChooseBasisAsync(repository, source, type, complete, ct).ConfigureAwait(false);
        await using var heartbeat = await BackupHeartbeat.StartAsync(repository, id, DependencyIds(basis), ct).ConfigureAwait(false);
        try
        {
            // The lease now keeps the reference from expire; one that vanished before it was written ends the attempt here.
            if (basis.Reference is { } reference) await RequireReferenceAsync(repository, reference, ct).ConfigureAwait(false);
            // Incrementals are stored as chunks: a diff or incr (and a full taken in its place) is client chunks, or
            // native incremental (chunks too) where the source can take one.
            var requested = type == BackupType.Full ? BackupFormats.For(policy.Backup.Compression) : BackupFormats.For(CompressionSite.Client);
            var slot = await source.CreateTemporarySlotAsync(ct).ConfigureAwait(false);
            await using var packs = new PackWriter(repository.Store, repository.Layout, id, PackSize);
            var (format, baseBackup) = basis.Reference is { } onto && policy.Backup.NativeIncremental
                ? await NativeIncrementalStart.StartAsync(source, repository, id, onto, member.Name, log, ct).ConfigureAwait(false)
                : await SourceCompressionFallback.StartAsync(source, id, requested, repository.Codec.CompressionLevel, policy.Backup.ServerWorkers, member.Name, log, ct).ConfigureAwait(false);
            await using var stream = baseBackup;
            log.LogInformation("Backup {Backup} started at {Lsn} on timeline {Timeline}", id, stream.StartLsn, stream.StartTimeline);
            await using var wal = await BackupWalCollector.StartAsync(source.Wal, slot, stream.StartLsn, stream.StartTimeline, source.SegmentSize, source.System.SystemId, repository, id, log, ct).ConfigureAwait(false);

            await using var ingest = format.StartIngest(packs, repository, basis.Reference, ct);
            long BytesDone() => ingest.BytesRead ?? stream.BytesDoneReportedByServer;
            using var reporter = new CopyProgressReporter(progress, () => new CopyProgress("copying", BytesDone(), stream.TotalEstimate, ingest.CurrentFile, DateTimeOffset.UtcNow - started));
            var postgresManifest = await CopyArchivesAsync(repository, id, stream, ingest, ct).ConfigureAwait(false);
            await packs.CompleteAsync(ct).ConfigureAwait(false);

            reporter.Report(new CopyProgress("storing WAL", BytesDone(), stream.TotalEstimate, null, DateTimeOffset.UtcNow - started));
            var walObjects = (await wal.FinishAsync(stream.EndLsn, WalWait, ct).ConfigureAwait(false)).ToList();
            var history = await StoreHistoryAsync(repository, id, source, stream.StartTimeline, walObjects, ct).ConfigureAwait(false);

            reporter.Report(new CopyProgress("checking WAL", BytesDone(), stream.TotalEstimate, null, DateTimeOffset.UtcNow - started));
            var lastRecord = await BackupWalProof.CheckAsync(repository, id, walObjects, stream.StartLsn, stream.EndLsn, history, source.System.SystemId, source.SegmentSize, ct).ConfigureAwait(false);

            var content = ingest.Content(packs.StoredPacks, stream.BytesDoneReportedByServer);
            var manifest = new BackupManifest
            {
                Id = id,
                Type = basis.Type,
                Reference = basis.Reference?.Id,
                Cluster = policy.Cluster,
                SystemIdentifier = source.System.SystemId,
                ServerVersionNum = source.ServerVersionNum,
                ToolVersion = ToolVersion,
                Source = new BackupSource(member.Name, member.Host!, member.Port!.Value),
                StartTime = started,
                EndTime = DateTimeOffset.UtcNow,
                StartLsn = stream.StartLsn,
                EndLsn = stream.EndLsn,
                LastRecordLsn = lastRecord,
                Timeline = stream.StartTimeline,
                WalSegmentSize = source.SegmentSize,
                Format = format.Name,
                Compression = format.CompressionLabel,
                CompressionLevel = repository.Codec.CompressionLevel,
                ChunkSize = RepositoryDescriptor.DefaultChunkSize,
                DatabaseSize = content.DatabaseSize,
                StoredSize = packs.StoredPacks.Sum(p => p.Size) + walObjects.Sum(w => w.StoredSize) + postgresManifest.StoredSize,
                Tablespaces = stream.Tablespaces.Where(t => t.Oid is not null).Select(t => new BackupTablespace(t.Oid!.Value, t.Location!)).ToList(),
                Files = content.Files,
                Archives = content.Archives,
                Packs = content.Packs,
                Wal = walObjects,
                PostgresManifest = postgresManifest,
            };

            // Publish: the manifest is the only mark of a complete backup, so it goes last — and never points at a
            // backup or pack that is gone (removed meanwhile by someone who ignored the lease).
            if (basis.Reference is { } used) await RequireReferenceAsync(repository, used, ct).ConfigureAwait(false);
            await RequireReusedPacksAsync(repository, manifest, ct).ConfigureAwait(false);
            await heartbeat.StopAsync().ConfigureAwait(false);
            await BackupCatalog.WriteManifestAsync(repository, manifest, ct).ConfigureAwait(false);
            await heartbeat.ReleaseAsync(ct).ConfigureAwait(false);
            log.LogInformation("Backup {Backup} ({Type}{Reference}) complete: {Files} files, {Size} bytes of data, {Stored} bytes stored, {Lsn} to {EndLsn}",
                id, manifest.Type.Name(), manifest.Reference is { } r ? " on " + r : "", content.Files.Count, manifest.DatabaseSize, manifest.StoredSize, manifest.StartLsn, manifest.EndLsn);
            return manifest;
        }
        catch (Exception e)
        {
            await heartbeat.StopAsync().ConfigureAwait(false);
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

    private async Task<BackupBasis> ChooseBasisAsync(BackupRepository repository, SourceSession source, BackupType type, IReadOnlyList<BackupManifest> complete, CancellationToken ct)
    {
        if (type == BackupType.Full) return BackupBasis.Full();
        // The listing holds headers; the candidate is read whole, as its block map is what the incremental compares with.
        if (ReferenceChoice.Candidate(type, complete) is { } candidate)
        {
            var whole = await BackupCatalog.ReadManifestAsync(repository, candidate.Id, ct).ConfigureAwait(false);
            complete = complete.Select(b => b.Id == whole.Id ? whole : b).ToList();
        }
        var basis = ReferenceChoice.Choose(type, complete, source.System.SystemId, source.PgMajor, await source.HistoryAsync(ct).ConfigureAwait(false),
            policy.Backup.MaxChain, b => BackupFormats.Of(b).HasBlockMap(b));
        if (basis.FullBecause is { } why)
            log.LogWarning("Taking a full backup instead of the {Type} asked for: {Reason}", type.Name(), why);
        else
            log.LogInformation("Taking a {Type} backup on {Reference} ({ReferenceType})", type.Name(), basis.Reference!.Id, basis.Reference.Type.Name());
        return basis;
    }

    private static IReadOnlyList<string> DependencyIds(BackupBasis basis) =>
        basis.Reference is { } r ? r.DependsOn.Prepend(r.Id).ToList() : [];

    private static async Task RequireReferenceAsync(BackupRepository repository, BackupManifest reference, CancellationToken ct)
    {
        foreach (var id in reference.DependsOn.Prepend(reference.Id))
            if (await repository.Store.HeadAsync(repository.Layout.BackupManifest(id), ct).ConfigureAwait(false) is null)
                throw new OperationFailedException($"backup {id}, which this incremental builds on, vanished from the repository (expired meanwhile?); the backup is discarded: run it again");
    }

    /// <summary>Every pack of an earlier backup the manifest points at is still there, whole.</summary>
    private static async Task RequireReusedPacksAsync(BackupRepository repository, BackupManifest manifest, CancellationToken ct)
    {
        // One HEAD per reused pack, several at once: a chain over a large full reuses thousands.
        await Parallel.ForEachAsync(manifest.Packs.Where(p => p.Backup is not null), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (pack, token) =>
        {
            var key = BackupObjects.PackKey(repository, manifest, pack);
            if (await repository.Store.HeadAsync(key, token).ConfigureAwait(false) is not { } stored || stored.Size != pack.Size)
                throw new OperationFailedException($"'{key}' of backup {pack.Backup}, whose blocks this incremental reuses, is gone or changed; the backup is discarded: run it again");
        }).ConfigureAwait(false);
    }

    /// <summary>repo.json is created by the first backup; every later one must come from the same cluster and codec.</summary>
    private static Task AgreeOnRepositoryAsync(BackupRepository repository, SourceSession source, DateTimeOffset started, CancellationToken ct) =>
        RepositoryDescriptor.OpenOrCreateAsync(repository.Store, repository.Layout, new RepositoryDescriptor
        {
            SystemIdentifier = source.System.SystemId,
            PgMajor = source.PgMajor,
            ChunkSize = RepositoryDescriptor.DefaultChunkSize,
            CreatedAt = started,
            KeyCheck = repository.Codec.Key?.KeyCheck,
        }, ct);

    private static async Task<string> NewIdAsync(BackupRepository repository, DateTimeOffset started, CancellationToken ct)
    {
        var taken = (await BackupCatalog.ListAsync(repository, ct).ConfigureAwait(false)).Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
        return BackupId.For(started, taken);
    }

    /// <summary>
    /// Streams every archive BASE_BACKUP sends into the format, and PostgreSQL's backup_manifest
    /// into its own object; returns that object. A timeline change during the copy discards the backup.
    /// </summary>
    private static async Task<EncodedObject> CopyArchivesAsync(BackupRepository repository, string id, BaseBackupStream stream, IContentIngest ingest, CancellationToken ct)
    {
        EncodedObject? postgresManifest = null;
        while (await stream.NextArchiveAsync(ct).ConfigureAwait(false) is { } archive)
        {
            if (archive.IsManifest)
                postgresManifest = await BackupObjects.PutEncodedAsync(repository, id, repository.Layout.PostgresBackupManifest(id), archive.Content, ct).ConfigureAwait(false);
            else
                await ingest.IngestAsync(archive.Content, archive.Name, TablespaceOid(stream, archive), ct).ConfigureAwait(false);
        }
        if (stream.EndTimeline != stream.StartTimeline)
            throw new OperationFailedException($"the source changed timeline from {stream.StartTimeline} to {stream.EndTimeline} during the backup; the backup is discarded");
        await ingest.CompleteAsync().ConfigureAwait(false);
        return postgresManifest ?? throw new OperationFailedException("the source sent no backup_manifest; the backup is discarded");
    }

    /// <summary>
    /// Recovery to timeline N needs N's history file: keep it with the backup, as pg_basebackup -X
    /// stream does, and return the history the backup's WAL is checked against.
    /// </summary>
    private static async Task<TimelineHistory> StoreHistoryAsync(BackupRepository repository, string id, SourceSession source, uint timeline, List<EncodedObject> walObjects, CancellationToken ct)
    {
        if (timeline == 1) return TimelineHistory.ForFirstTimeline;
        var file = await source.Data.TimelineHistoryAsync(timeline, ct).ConfigureAwait(false);
        using var content = new MemoryStream(file.Content, writable: false);
        walObjects.Add(await BackupObjects.PutEncodedAsync(repository, id, repository.Layout.BackupHistory(id, timeline), content, ct).ConfigureAwait(false));
        return TimelineHistory.Parse(timeline, file.Content);
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

    public static string ToolVersion { get; } =
        typeof(BackupRun).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0";
}
