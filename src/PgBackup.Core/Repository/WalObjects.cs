using PgBackup.Errors;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Storage;

namespace PgBackup.Repository;

/// <summary>What a push of an immutable WAL object did.</summary>
public enum WalPushResult
{
    Archived,

    /// <summary>The repository already held identical content; nothing was written.</summary>
    AlreadyArchived,
}

/// <summary>
/// WAL segments, the newest partial segment and timeline history files in the repository.
/// Segments and history files are immutable: pushing one that exists is a no-op when the plain
/// content is identical and an error when it differs — never an overwrite (DESIGN.md).
/// </summary>
/// <remarks>
/// The existence check and the put are not one atomic step (s3rver has no conditional put): two
/// archivers pushing different content for the same segment at the same moment are not detected.
/// One archiver per cluster is the rule that makes this safe.
/// </remarks>
public sealed class WalObjects(IObjectStore store, RepositoryLayout layout, RepositoryCodec codec)
{
    /// <summary>Archives a complete segment; <paramref name="plain"/> is read once, to its end.</summary>
    /// <exception cref="RepositoryException">The repository holds different content for this segment.</exception>
    public Task<WalPushResult> PushSegmentAsync(uint timeline, string segment, Stream plain, CancellationToken ct = default) =>
        PushImmutableAsync(layout.WalSegment(timeline, segment), plain, ct);

    /// <summary>Archives a timeline history file, immutable like a segment.</summary>
    public Task<WalPushResult> PushHistoryAsync(uint timeline, Stream plain, CancellationToken ct = default) =>
        PushImmutableAsync(layout.TimelineHistory(timeline), plain, ct);

    /// <summary>Stores the newest partial segment, replacing the previous version of it.</summary>
    public Task PutPartialAsync(uint timeline, string segment, Stream plain, CancellationToken ct = default) =>
        store.PutEncodedAsync(layout.WalPartial(timeline, segment), codec, plain, ct);

    /// <summary>Writes a segment's plain content to <paramref name="destination"/>; false if it is not archived.</summary>
    public Task<bool> TryGetSegmentAsync(uint timeline, string segment, Stream destination, CancellationToken ct = default) =>
        TryGetAsync(layout.WalSegment(timeline, segment), destination, ct);

    /// <summary>Writes the partial segment's plain content to <paramref name="destination"/>; false if there is none.</summary>
    public Task<bool> TryGetPartialAsync(uint timeline, string segment, Stream destination, CancellationToken ct = default) =>
        TryGetAsync(layout.WalPartial(timeline, segment), destination, ct);

    /// <summary>Writes a timeline history file to <paramref name="destination"/>; false if it is not archived.</summary>
    public Task<bool> TryGetHistoryAsync(uint timeline, Stream destination, CancellationToken ct = default) =>
        TryGetAsync(layout.TimelineHistory(timeline), destination, ct);

    private async Task<WalPushResult> PushImmutableAsync(string key, Stream plain, CancellationToken ct)
    {
        if (await store.HeadAsync(key, ct).ConfigureAwait(false) is null)
        {
            await store.PutEncodedAsync(key, codec, plain, ct).ConfigureAwait(false);
            return WalPushResult.Archived;
        }
        var archived = (await store.GetDecodedAsync(key, codec, Stream.Null, ct).ConfigureAwait(false)).PlainSha256;
        using var hashing = new HashingStream(plain);
        await hashing.CopyToAsync(Stream.Null, ct).ConfigureAwait(false);
        var pushed = hashing.Sha256;
        return pushed == archived
            ? WalPushResult.AlreadyArchived
            : throw new RepositoryException(
                $"'{key}' in {store.Describe} is already archived with different content (archived SHA-256 {archived}, pushed {pushed}): "
                + "two clusters may share this repository path, or WAL diverged; find out which is right before removing either");
    }

    private async Task<bool> TryGetAsync(string key, Stream destination, CancellationToken ct)
    {
        try
        {
            await store.GetDecodedAsync(key, codec, destination, ct).ConfigureAwait(false);
            return true;
        }
        catch (ObjectNotFoundException)
        {
            return false;
        }
    }
}
