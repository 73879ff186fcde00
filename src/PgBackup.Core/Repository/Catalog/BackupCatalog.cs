using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using PgBackup.Errors;
using PgBackup.Repository;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Storage;

namespace PgBackup.Repository.Catalog;

public enum BackupStatus { Complete, Running, Dead }

/// <summary>One backup folder of the repository, complete or not.</summary>
/// <param name="Manifest">A complete backup's manifest header (<see cref="BackupManifest.IsHeader"/>): <see cref="BackupCatalog.ReadManifestAsync"/> reads its files.</param>
/// <param name="Lease">An incomplete backup's lease, when it has one.</param>
public sealed record BackupEntry(string Id, BackupStatus Status, BackupManifest? Manifest, long StoredBytes, DateTimeOffset LastModified, BackupLease? Lease = null);

/// <summary>
/// What the repository holds. A backup is complete exactly when its manifest.json exists
/// (DESIGN.md); everything else is a backup still running or the debris of a dead one.
/// </summary>
public static class BackupCatalog
{
    public static async Task<IReadOnlyList<BackupEntry>> ListAsync(BackupRepository repository, CancellationToken ct)
    {
        var layout = repository.Layout;
        var folders = new SortedDictionary<string, (long Bytes, DateTimeOffset Newest, bool HasManifest)>(StringComparer.Ordinal);
        await foreach (var o in repository.Store.ListAsync(layout.BackupsPrefix, ct).ConfigureAwait(false))
        {
            if (layout.BackupIdOf(o.Key) is not { } id) continue;
            var f = folders.GetValueOrDefault(id);
            folders[id] = (f.Bytes + o.Size, o.LastModified > f.Newest ? o.LastModified : f.Newest, f.HasManifest || o.Key == layout.BackupManifest(id));
        }
        var now = DateTimeOffset.UtcNow;
        var entries = new List<BackupEntry>();
        foreach (var (id, f) in folders)
        {
            if (f.HasManifest)
            {
                entries.Add(new BackupEntry(id, BackupStatus.Complete, (await ReadAsync(repository, id, header: true, ct).ConfigureAwait(false)).Manifest, f.Bytes, f.Newest));
                continue;
            }
            var lease = await BackupLease.ReadAsync(repository, id, ct).ConfigureAwait(false);
            var dead = lease?.IsDead(now) ?? now - f.Newest > BackupLease.Expiry;
            entries.Add(new BackupEntry(id, dead ? BackupStatus.Dead : BackupStatus.Running, null, f.Bytes, f.Newest, lease));
        }
        // Ids sort by time, but a clock step must not reorder what operators trust: sort by recorded start.
        return entries.OrderBy(e => e.Manifest?.StartTime ?? e.LastModified).ThenBy(e => e.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>The complete backups' manifest headers, oldest first (see <see cref="ListAsync"/>).</summary>
    public static async Task<IReadOnlyList<BackupManifest>> ListCompleteAsync(BackupRepository repository, CancellationToken ct) =>
        (await ListAsync(repository, ct).ConfigureAwait(false)).Where(e => e.Manifest is not null).Select(e => e.Manifest!).ToList();

    /// <summary>A complete backup by id, or the newest one for "latest", whole (with its files).</summary>
    public static async Task<BackupManifest> ResolveAsync(BackupRepository repository, string idOrLatest, CancellationToken ct)
    {
        var complete = await ListCompleteAsync(repository, ct).ConfigureAwait(false);
        var header = idOrLatest == "latest"
            ? complete.LastOrDefault() ?? throw new UsageException($"no complete backup in {repository.Describe}; take one with `pgbackup backup`")
            : complete.FirstOrDefault(m => m.Id == idOrLatest) ?? throw new UsageException($"no complete backup '{idOrLatest}' in {repository.Describe}; `pgbackup list` shows the ids");
        return await ReadManifestAsync(repository, header.Id, ct).ConfigureAwait(false);
    }

    /// <exception cref="RepositoryException">manifest.json is unreadable, fails its checksum, or is not a consistent manifest.</exception>
    public static async Task<BackupManifest> ReadManifestAsync(BackupRepository repository, string id, CancellationToken ct) =>
        (await ReadCheckedManifestAsync(repository, id, ct).ConfigureAwait(false)).Manifest;

    /// <summary>As <see cref="ReadManifestAsync"/>, and whether its checksum vouched for it (false: written by an older version, unchecked).</summary>
    public static Task<(BackupManifest Manifest, bool Checksummed)> ReadCheckedManifestAsync(BackupRepository repository, string id, CancellationToken ct) =>
        ReadAsync(repository, id, header: false, ct);

    /// <param name="header">
    /// Read the header only (<see cref="BackupManifest.IsHeader"/>), as listings do: the file list is
    /// skipped by the JSON reader, never built, so listing many backups of a cluster of many files
    /// costs neither their memory nor their time. The checksum still covers the whole document;
    /// the file list's consistency is checked when the manifest is read whole.
    /// </param>
    private static async Task<(BackupManifest Manifest, bool Checksummed)> ReadAsync(BackupRepository repository, string id, bool header, CancellationToken ct)
    {
        var key = repository.Layout.BackupManifest(id);
        var json = header ? HeaderJson.BackupManifest : BackupManifestJson.Default.BackupManifest;
        try
        {
            var (manifest, checksummed) = await repository.Store.ReadCheckedDocumentAsync(key, repository.Codec, DocumentKind.BackupManifest,
                content => JsonSerializer.Deserialize(content.Span, json), ct).ConfigureAwait(false);
            if (header && manifest is not null) manifest = manifest.Header();
            if (manifest is null || manifest.FormatVersion != BackupManifest.CurrentFormat)
                throw new RepositoryException($"{key} has format version {manifest?.FormatVersion}, this pgbackup reads {BackupManifest.CurrentFormat}; use a matching pgbackup version");
            if (ManifestConsistency.FirstProblem(manifest) is { } problem)
                throw new RepositoryException($"{key} is not a consistent backup manifest ({problem}): it is damaged; run `pgbackup verify`");
            return (manifest, checksummed);
        }
        catch (JsonException e)
        {
            throw new RepositoryException($"{key} is not a valid backup manifest ({e.Message.Split('\n')[0]}); run `pgbackup verify`", e);
        }
    }

    private static readonly BackupManifestJson HeaderJson = new(new JsonSerializerOptions(BackupManifestJson.Default.Options) { Converters = { new SkippedFileList() } });

    /// <summary>A manifest's file list read as nothing (<see cref="ReadAsync"/>'s header).</summary>
    private sealed class SkippedFileList : JsonConverter<IReadOnlyList<BackupFile>>
    {
        public override IReadOnlyList<BackupFile> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            reader.Skip();
            return [];
        }

        public override void Write(Utf8JsonWriter writer, IReadOnlyList<BackupFile> value, JsonSerializerOptions options) =>
            throw new NotSupportedException("a manifest header is never written");
    }

    /// <summary>Publishes a backup: after this put, the backup is listed as complete. The manifest carries its own checksum (<see cref="DocumentChecksum"/>), and is serialized straight into the store, never held whole.</summary>
    public static Task WriteManifestAsync(BackupRepository repository, BackupManifest manifest, CancellationToken ct) =>
        repository.Store.PutDocumentAsync(repository.Layout.BackupManifest(manifest.Id), repository.Codec, DocumentKind.BackupManifest,
            (s, t) => JsonSerializer.SerializeAsync(s, manifest, BackupManifestJson.Default.BackupManifest, t), ct);

    /// <summary>Expires a complete backup: see <see cref="RemoveAsync"/>.</summary>
    public static Task RemoveCompleteAsync(BackupRepository repository, string id, CancellationToken ct) =>
        RemoveAsync(repository, id, complete: true, ct);

    /// <summary>Removes a backup that has no manifest (a dead one's debris): see <see cref="RemoveAsync"/>.</summary>
    /// <exception cref="InvalidOperationException">The backup has a manifest after all: it is complete and is kept.</exception>
    public static Task RemoveIncompleteAsync(BackupRepository repository, string id, CancellationToken ct) =>
        RemoveAsync(repository, id, complete: false, ct);

    /// <summary>
    /// Deletes every object of a backup. A complete backup loses its manifest.json first, so an
    /// interrupted removal never leaves it listed as complete; the lease goes last, so an interrupted
    /// removal is found again as a dead backup's debris and retried.
    /// </summary>
    private static async Task RemoveAsync(BackupRepository repository, string id, bool complete, CancellationToken ct)
    {
        var layout = repository.Layout;
        if (complete)
            await repository.Store.DeleteAsync(layout.BackupManifest(id), ct).ConfigureAwait(false);
        var keys = new List<string>();
        await foreach (var o in repository.Store.ListAsync(layout.BackupPrefix(id), ct).ConfigureAwait(false))
        {
            if (o.Key == layout.BackupManifest(id))
                throw new InvalidOperationException($"backup {id} is complete; refusing to remove it as debris");
            if (o.Key != layout.BackupLease(id)) keys.Add(o.Key);
        }
        await repository.Store.DeleteManyAsync(keys, ct).ConfigureAwait(false);
        // A put a dead process was in the middle of left a temporary file no listing shows.
        await repository.Store.RemoveLeftoversAsync(layout.BackupPrefix(id), ct).ConfigureAwait(false);
        await repository.Store.DeleteAsync(layout.BackupLease(id), ct).ConfigureAwait(false);
    }

    /// <summary>Removes the leftovers of backups whose process died; returns how many were removed.</summary>
    public static async Task<int> RemoveDebrisAsync(BackupRepository repository, ILogger log, CancellationToken ct)
    {
        var removed = 0;
        foreach (var dead in (await ListAsync(repository, ct).ConfigureAwait(false)).Where(e => e.Status == BackupStatus.Dead))
        {
            log.LogWarning("Removing debris of dead backup {Backup} ({Bytes} bytes)", dead.Id, dead.StoredBytes);
            await RemoveIncompleteAsync(repository, dead.Id, ct).ConfigureAwait(false);
            removed++;
        }
        return removed;
    }
}
