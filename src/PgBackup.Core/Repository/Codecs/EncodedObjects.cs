using System.IO.Pipelines;
using PgBackup.Errors;
using PgBackup.Repository.Storage;

namespace PgBackup.Repository.Codecs;

/// <summary>
/// Whole objects (WAL segments, history files, manifests) stored through a <see cref="RepositoryCodec"/>,
/// hashing the plain content on the way: plain → SHA-256 → codec → store, and back.
/// </summary>
public static class EncodedObjects
{
    // Bytes buffered between the encoder and the upload: enough to keep both busy, flat whatever the object size.
    private const long PipePauseBytes = 4 << 20;

    /// <summary>
    /// Encodes <paramref name="plain"/> (read to its end) into the object <paramref name="key"/>,
    /// atomically; returns the SHA-256 (lower-case hex) of the plain content.
    /// </summary>
    public static async Task<string> PutEncodedAsync(this IObjectStore store, string key, RepositoryCodec codec, Stream plain, CancellationToken ct = default)
    {
        // The store pulls from a stream while the compressor pushes into one: a pipe joins them.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: PipePauseBytes, resumeWriterThreshold: PipePauseBytes / 2));
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var hashing = new HashingStream(plain);
        var encode = Task.Run(async () =>
        {
            try
            {
                await using (var encoder = codec.Encode(pipe.Writer.AsStream(leaveOpen: true)))
                    await hashing.CopyToAsync(encoder, failed.Token).ConfigureAwait(false);
                await pipe.Writer.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // The upload then fails with this exception and stores nothing.
                await pipe.Writer.CompleteAsync(e).ConfigureAwait(false);
                throw;
            }
        }, CancellationToken.None);
        try
        {
            await using (var stored = pipe.Reader.AsStream())
                await store.PutAsync(key, stored, ct).ConfigureAwait(false);
        }
        catch
        {
            await failed.CancelAsync().ConfigureAwait(false);
            // Wait for the encoder to stop reading the caller's stream, without its (secondary) error.
            await Task.WhenAny(encode).ConfigureAwait(false);
            throw;
        }
        await encode.ConfigureAwait(false);
        return hashing.Sha256;
    }

    /// <summary>
    /// Decodes the object <paramref name="key"/> into <paramref name="destination"/>; returns the
    /// SHA-256 (lower-case hex) of the plain content.
    /// </summary>
    /// <exception cref="ObjectNotFoundException">There is no such object.</exception>
    /// <exception cref="RepositoryException">The object is corrupt, truncated, or does not decrypt with the key.</exception>
    public static async Task<string> GetDecodedAsync(this IObjectStore store, string key, RepositoryCodec codec, Stream destination, CancellationToken ct = default)
    {
        await using var stored = await store.OpenReadAsync(key, ct).ConfigureAwait(false);
        await using var decoded = codec.Decode(stored);
        using var hashing = new HashingStream(destination);
        try
        {
            await decoded.CopyToAsync(hashing, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (Damaged(store, key, e) is { } damaged)
        {
            throw damaged;
        }
        return hashing.Sha256;
    }

    /// <summary>
    /// Stores a small JSON document (manifest.json, lease.json): as it is in an unencrypted
    /// repository, so people and scripts can read it; encoded like any other object in an
    /// encrypted one, because a backup manifest lists every file name and database.
    /// </summary>
    public static async Task PutDocumentAsync(this IObjectStore store, string key, RepositoryCodec codec, byte[] json, CancellationToken ct = default)
    {
        if (codec.IsEncrypted)
            await store.PutEncodedAsync(key, codec, new MemoryStream(json), ct).ConfigureAwait(false);
        else
            await store.PutAsync(key, json, ct).ConfigureAwait(false);
    }

    /// <summary>Reads a document written by <see cref="PutDocumentAsync"/> with <paramref name="parse"/>, which gets its plain JSON.</summary>
    /// <exception cref="ObjectNotFoundException">There is no such object.</exception>
    /// <exception cref="RepositoryException">The object is corrupt, truncated, or does not decrypt with the key.</exception>
    public static async Task<T> ReadDocumentAsync<T>(this IObjectStore store, string key, RepositoryCodec codec, Func<Stream, CancellationToken, ValueTask<T>> parse, CancellationToken ct = default)
    {
        await using var stored = await store.OpenReadAsync(key, ct).ConfigureAwait(false);
        if (!codec.IsEncrypted)
            return await parse(stored, ct).ConfigureAwait(false);
        await using var plain = codec.Decode(stored);
        try
        {
            return await parse(plain, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (Damaged(store, key, e) is { } damaged)
        {
            throw damaged;
        }
    }

    /// <summary>The user-facing error for a decoding failure of <paramref name="key"/>, or null if <paramref name="e"/> is not one.</summary>
    private static RepositoryException? Damaged(IObjectStore store, string key, Exception e) => e switch
    {
        DecryptionFailedException d => d.For($"'{key}' in {store.Describe}"),
        ZstdSharp.ZstdException or EndOfStreamException =>
            new RepositoryException($"object '{key}' in {store.Describe} is corrupt ({e.Message}): restore it from another copy or delete it", e),
        _ => null,
    };
}
