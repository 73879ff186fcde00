namespace PgBackup.Repository.Storage;

/// <summary>
/// The one I/O seam of the repository: a flat namespace of immutable-once-written objects, modelled
/// on pgBackRest's storage drivers. Everything above it (layout, codecs, packs, WAL) is written
/// once against this interface, so a new cloud is one class with these few members.
/// </summary>
/// <remarks>
/// Keys are relative and '/'-separated (see <see cref="ObjectKey"/>); the store applies its own
/// root directory or bucket prefix. Failures to reach or use the storage surface as
/// <see cref="Errors.RepositoryException"/> whose message names the store and the object.
/// </remarks>
public interface IObjectStore
{
    /// <summary>Where the objects live, for messages and logs: a path or "s3://bucket/prefix at URL". Never holds secrets.</summary>
    string Describe { get; }

    /// <summary>
    /// Stores <paramref name="content"/> (read to its end, length unknown in advance) under
    /// <paramref name="key"/>, replacing any object there. Atomic: readers see the old object or
    /// the complete new one, never a part; if reading <paramref name="content"/> throws, the
    /// exception propagates and no object appears. Memory use does not grow with the object size.
    /// </summary>
    Task PutAsync(string key, Stream content, CancellationToken ct = default);

    /// <summary>As <see cref="PutAsync(string, Stream, CancellationToken)"/>, for a body already in memory (not copied).</summary>
    Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken ct = default);

    /// <summary>Opens the whole object for sequential reading; the caller disposes the stream.</summary>
    /// <exception cref="ObjectNotFoundException">No object has this key.</exception>
    Task<Stream> OpenReadAsync(string key, CancellationToken ct = default);

    /// <summary>Opens <paramref name="length"/> bytes of the object starting at <paramref name="offset"/>.</summary>
    /// <exception cref="ObjectNotFoundException">No object has this key.</exception>
    /// <exception cref="Errors.RepositoryException">The range ends past the object's end.</exception>
    Task<Stream> OpenReadAsync(string key, long offset, long length, CancellationToken ct = default);

    /// <summary>Size and modification time of the object, or null if there is none.</summary>
    Task<ObjectInfo?> HeadAsync(string key, CancellationToken ct = default);

    /// <summary>Every object whose key starts with <paramref name="prefix"/> (at any depth), in ordinal key order.</summary>
    IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken ct = default);

    /// <summary>Removes the object; removing an absent object is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken ct = default);

    /// <summary>Removes many objects with as few requests as the storage allows; absent ones are skipped.</summary>
    Task DeleteManyAsync(IEnumerable<string> keys, CancellationToken ct = default);

    /// <summary>
    /// Removes what writers killed mid-put left under <paramref name="prefix"/> that no listing shows (a
    /// local directory's temporary files and emptied folders), once nothing writes there any more: a dead
    /// backup's folder. Nothing to do for stores whose puts leave no such trace.
    /// </summary>
    Task RemoveLeftoversAsync(string prefix, CancellationToken ct = default) => Task.CompletedTask;
}

/// <summary>One stored object as a listing or HEAD sees it. <see cref="Key"/> is relative to the store's root.</summary>
public sealed record ObjectInfo(string Key, long Size, DateTimeOffset LastModified);
