using System.Runtime.CompilerServices;
using PgBackup.Errors;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Storage;

namespace PgBackup.Repository.Packs;

/// <summary>
/// Reads chunks back from packs: one at a time with a ranged GET, or a whole pack in one GET for
/// restores, which need most chunks of a pack anyway. Holds a decoder and buffers: one per worker.
/// </summary>
public sealed class ChunkReader(IObjectStore store, RepositoryCodec codec) : IDisposable
{
    private readonly ChunkCodec _codec = codec.CreateChunkCodec();
    private byte[] _stored = [];
    private byte[] _plain = [];

    /// <summary>Reads and decodes <paramref name="chunk"/> into the first <see cref="ChunkRef.PlainLength"/> bytes of <paramref name="plain"/>.</summary>
    /// <exception cref="RepositoryException">The pack is missing, short, the frame is corrupt, or it does not decrypt with the key.</exception>
    public async Task ReadAsync(ChunkRef chunk, Memory<byte> plain, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(plain.Length, chunk.PlainLength);
        var stored = Grow(ref _stored, chunk.StoredLength);
        await using (var stream = await store.OpenReadAsync(chunk.PackKey, chunk.Offset, chunk.StoredLength, ct).ConfigureAwait(false))
            await ReadExactlyAsync(stream, chunk, stored, ct).ConfigureAwait(false);
        Decode(chunk, stored, plain[..chunk.PlainLength]);
    }

    /// <summary>
    /// Reads the pack <paramref name="packKey"/> front to back with one GET and yields the given
    /// chunks of it in offset order, skipping bytes no listed chunk covers. Each yielded
    /// <see cref="DecodedChunk.Plain"/> is overwritten by the next.
    /// </summary>
    public async IAsyncEnumerable<DecodedChunk> ReadPackAsync(string packKey, IEnumerable<ChunkRef> chunks, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var ordered = chunks.OrderBy(c => c.Offset).ToList();
        if (ordered.FirstOrDefault(c => c.PackKey != packKey) is { } stranger)
            throw new ArgumentException($"chunk of '{stranger.PackKey}' passed to a read of '{packKey}'", nameof(chunks));
        await using var stream = await store.OpenReadAsync(packKey, ct).ConfigureAwait(false);
        long position = 0;
        foreach (var chunk in ordered)
        {
            if (chunk.Offset < position)
                throw new ArgumentException($"chunks of '{packKey}' overlap at offset {chunk.Offset}", nameof(chunks));
            await SkipAsync(stream, chunk, chunk.Offset - position, ct).ConfigureAwait(false);
            var stored = Grow(ref _stored, chunk.StoredLength);
            await ReadExactlyAsync(stream, chunk, stored, ct).ConfigureAwait(false);
            position = chunk.Offset + chunk.StoredLength;
            var plain = Grow(ref _plain, chunk.PlainLength);
            Decode(chunk, stored, plain);
            yield return new DecodedChunk(chunk, plain);
        }
    }

    public void Dispose() => _codec.Dispose();

    private void Decode(ChunkRef chunk, Memory<byte> stored, Memory<byte> plain)
    {
        try
        {
            _codec.Decode(stored.Span, plain.Span);
        }
        catch (DecryptionFailedException e)
        {
            throw e.For($"the chunk at offset {chunk.Offset} of '{chunk.PackKey}' in {store.Describe}");
        }
        catch (ChunkLengthMismatchException e)
        {
            throw new RepositoryException($"the chunk at offset {chunk.Offset} of '{chunk.PackKey}' in {store.Describe} and its record in the manifest disagree ({e.Message}): the manifest is the damaged side; verify the repository and take a new backup", e);
        }
        catch (InvalidDataException e)
        {
            throw new RepositoryException($"chunk at offset {chunk.Offset} of '{chunk.PackKey}' in {store.Describe} is damaged ({e.Message}): this backup cannot restore that file; verify the repository and take a new backup", e);
        }
    }

    private async Task ReadExactlyAsync(Stream stream, ChunkRef chunk, Memory<byte> destination, CancellationToken ct)
    {
        try
        {
            await stream.ReadExactlyAsync(destination, ct).ConfigureAwait(false);
        }
        catch (EndOfStreamException e)
        {
            throw new RepositoryException($"'{chunk.PackKey}' in {store.Describe} ends before the chunk at offset {chunk.Offset}: the pack is truncated; verify the repository", e);
        }
    }

    private async Task SkipAsync(Stream stream, ChunkRef next, long count, CancellationToken ct)
    {
        while (count > 0)
        {
            var step = (int)Math.Min(count, 1 << 20);
            await ReadExactlyAsync(stream, next, Grow(ref _stored, step)[..step], ct).ConfigureAwait(false);
            count -= step;
        }
    }

    /// <summary>The first <paramref name="length"/> bytes of <paramref name="buffer"/>, growing it if needed.</summary>
    private static Memory<byte> Grow(ref byte[] buffer, int length)
    {
        if (buffer.Length < length)
            buffer = new byte[length];
        return buffer.AsMemory(0, length);
    }
}
