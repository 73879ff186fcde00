using System.IO.Pipelines;
using PgBackup.Errors;
using PgBackup.Repository.Storage;

namespace PgBackup.Repository.Codecs;

/// <summary>
/// Whole objects (WAL segments, history files, manifests) stored through a <see cref="RepositoryCodec"/>,
/// hashing the plain content on the way: plain → SHA-256 → codec → store, and back.
/// </summary>
/// <remarks>The SHA-256 travels with the object in its <see cref="ChecksumTrailer"/> and is checked on every decode.</remarks>
public static class EncodedObjects
{
    // Bytes buffered between the encoder and the upload: enough to keep both busy, flat whatever the object size.
    private const long PipePauseBytes = 4 << 20;

    /// <summary>
    /// Encodes <paramref name="plain"/> (read to its end) into the object <paramref name="key"/>,
    /// atomically; returns the SHA-256 (lower-case hex) of the plain content.
    /// </summary>
    public static Task<string> PutEncodedAsync(this IObjectStore store, string key, RepositoryCodec codec, Stream plain, CancellationToken ct = default) =>
        store.PutEncodedAsync(key, codec, (encoder, t) => plain.CopyToAsync(encoder, t), ct);

    /// <summary>As above, with the plain content written into the encoder by <paramref name="writePlain"/>.</summary>
    public static async Task<string> PutEncodedAsync(this IObjectStore store, string key, RepositoryCodec codec, Func<Stream, CancellationToken, Task> writePlain, CancellationToken ct = default)
    {
        // The store pulls from a stream while the compressor pushes into one: a pipe joins them.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: PipePauseBytes, resumeWriterThreshold: PipePauseBytes / 2));
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var encode = Task.Run(async () =>
        {
            try
            {
                var encoder = codec.Encode(pipe.Writer.AsStream(leaveOpen: true));
                await using (encoder)
                    await writePlain(encoder, failed.Token).ConfigureAwait(false);
                await pipe.Writer.CompleteAsync().ConfigureAwait(false);
                return encoder.PlainSha256;
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
            // Wait for the encoder to stop reading the caller's content, without its (secondary) error.
            await Task.WhenAny(encode).ConfigureAwait(false);
            throw;
        }
        return await encode.ConfigureAwait(false);
    }

    /// <summary>
    /// Decodes the object <paramref name="key"/> into <paramref name="destination"/>, checking its
    /// checksum trailer; returns what its plain content is.
    /// </summary>
    /// <exception cref="ObjectNotFoundException">There is no such object.</exception>
    /// <exception cref="RepositoryException">The object is corrupt, truncated, disagrees with its checksum trailer, or does not decrypt with the key.</exception>
    public static async Task<DecodedObject> GetDecodedAsync(this IObjectStore store, string key, RepositoryCodec codec, Stream destination, CancellationToken ct = default)
    {
        await using var stored = await store.OpenReadAsync(key, ct).ConfigureAwait(false);
        return await store.DecodeAsync(key, codec, stored, destination, ct).ConfigureAwait(false);
    }

    /// <summary>Decodes <paramref name="stored"/>, the content of the object <paramref name="key"/>, into <paramref name="destination"/>.</summary>
    private static async Task<DecodedObject> DecodeAsync(this IObjectStore store, string key, RepositoryCodec codec, Stream stored, Stream destination, CancellationToken ct)
    {
        await using var decoded = codec.Decode(stored);
        try
        {
            await decoded.CopyToAsync(destination, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (Damaged(store, key, e) is { } damaged)
        {
            throw damaged;
        }
        return new DecodedObject(decoded.PlainSha256, decoded.PlainLength, decoded.Trailer ?? TrailerState.Absent);
    }

    /// <summary>
    /// Stores a JSON document (manifest.json, lease.json, a drill report) with its
    /// <see cref="DocumentChecksum"/>: as it is in an unencrypted repository, so people and
    /// scripts can read it, unless its <paramref name="kind"/> is <see cref="DocumentKind.Compressed"/>;
    /// encoded like any other object in an encrypted one, because a backup manifest lists every
    /// file name and database.
    /// </summary>
    public static async Task PutDocumentAsync(this IObjectStore store, string key, RepositoryCodec codec, DocumentKind kind, byte[] json, CancellationToken ct = default)
    {
        var sealedJson = DocumentChecksum.Seal(json);
        if (codec.IsEncrypted || kind.Compressed)
            await store.PutEncodedAsync(key, codec, new MemoryStream(sealedJson), ct).ConfigureAwait(false);
        else
            await store.PutAsync(key, sealedJson, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// As above for a document of <see cref="DocumentKind.Compressed"/> too large to hold (a manifest of millions of
    /// files): <paramref name="serialize"/> writes it, twice (<see cref="DocumentChecksum.SealAsync"/>), straight into the encoder.
    /// </summary>
    public static async Task PutDocumentAsync(this IObjectStore store, string key, RepositoryCodec codec, DocumentKind kind, Func<Stream, CancellationToken, Task> serialize, CancellationToken ct = default)
    {
        if (!kind.Compressed) throw new ArgumentException($"a {kind.Name} is stored as plain JSON: put it whole", nameof(kind));
        await store.PutEncodedAsync(key, codec, (encoder, t) => DocumentChecksum.SealAsync(serialize, encoder, t), ct).ConfigureAwait(false);
    }

    /// <summary>Reads a document written by <see cref="PutDocumentAsync"/> with <paramref name="parse"/>, which gets its checked plain JSON.</summary>
    /// <param name="parse">Parses the whole document, which is in memory anyway (to check its checksum): a JSON reader over it
    /// skips what it does not need without buffering it again, as a stream's reader would.</param>
    /// <exception cref="ObjectNotFoundException">There is no such object.</exception>
    /// <exception cref="RepositoryException">The object is corrupt, truncated, fails its checksum, or does not decrypt with the key.</exception>
    public static async Task<T> ReadDocumentAsync<T>(this IObjectStore store, string key, RepositoryCodec codec, DocumentKind kind, Func<ReadOnlyMemory<byte>, T> parse, CancellationToken ct = default) =>
        (await store.ReadCheckedDocumentAsync(key, codec, kind, parse, ct).ConfigureAwait(false)).Document;

    /// <summary>As <see cref="ReadDocumentAsync"/>, and whether a checksum vouched for the document (false: written by an older version, unchecked).</summary>
    /// <remarks>
    /// An unencrypted document is read whether stored plain or zstd-encoded (told apart by zstd's
    /// frame magic, which no JSON document begins with), so manifests written before
    /// <see cref="DocumentKind.Compressed"/> existed still read, and a document's kind can change how it is stored.
    /// </remarks>
    public static async Task<(T Document, bool Checksummed)> ReadCheckedDocumentAsync<T>(this IObjectStore store, string key, RepositoryCodec codec, DocumentKind kind, Func<ReadOnlyMemory<byte>, T> parse, CancellationToken ct = default)
    {
        using var stored = new MemoryStream();
        await using (var raw = await store.OpenReadAsync(key, ct).ConfigureAwait(false))
            await raw.CopyToAsync(stored, ct).ConfigureAwait(false);
        if (!codec.IsEncrypted && !stored.GetBuffer().AsSpan(0, (int)stored.Length).StartsWith(RepositoryCodec.FrameMagic))
            return store.OpenDocument(key, Written(stored), kind, parse);
        stored.Position = 0;
        // Sized for JSON's usual zstd ratio, so a large manifest decodes without growing (and copying) the buffer.
        using var plain = new MemoryStream((int)Math.Min(stored.Length * 8, 256L << 20));
        await store.DecodeAsync(key, codec, stored, plain, ct).ConfigureAwait(false);
        return store.OpenDocument(key, Written(plain), kind, parse);
    }

    /// <summary>Checks the <see cref="DocumentChecksum"/> of a document already read (<paramref name="stored"/>, plain) and parses its content.</summary>
    /// <exception cref="RepositoryException">The document fails its checksum.</exception>
    private static (T Document, bool Checksummed) OpenDocument<T>(this IObjectStore store, string key, ArraySegment<byte> stored, DocumentKind kind, Func<ReadOnlyMemory<byte>, T> parse)
    {
        try
        {
            var (content, checksummed) = DocumentChecksum.Open(stored, kind);
            return (parse(content), checksummed);
        }
        catch (InvalidDataException e)
        {
            throw Damaged(store, key, e)!;
        }
    }

    private static ArraySegment<byte> Written(MemoryStream stream) => new(stream.GetBuffer(), 0, (int)stream.Length);

    /// <summary>The user-facing error for a decoding failure of <paramref name="key"/>, or null if <paramref name="e"/> is not one.</summary>
    private static RepositoryException? Damaged(IObjectStore store, string key, Exception e) => e switch
    {
        DecryptionFailedException d => d.For($"'{key}' in {store.Describe}"),
        ZstdSharp.ZstdException or EndOfStreamException or InvalidDataException =>
            new RepositoryException($"object '{key}' in {store.Describe} is corrupt ({e.Message}): restore it from another copy or delete it", e),
        _ => null,
    };
}

/// <summary>What a decoded object held: SHA-256 (lower-case hex) and length of its plain content, and whether its trailer vouched for it.</summary>
public sealed record DecodedObject(string PlainSha256, long PlainLength, TrailerState Trailer);
