using ZstdSharp;
using ZstdSharp.Unsafe;

namespace PgBackup.Repository.Codecs;

/// <summary>
/// Encodes one chunk (a slice of a file, a few MiB) into one independent zstd frame — sealed as
/// one AES-256-GCM unit when the repository is encrypted — and back. Holds zstd contexts that are
/// expensive to create and not thread-safe: one per worker.
/// </summary>
public sealed class ChunkCodec : IDisposable
{
    private readonly Compressor _compressor;
    private readonly EncryptionKey? _key;
    private Decompressor? _decompressor;
    private byte[] _opened = [];

    internal ChunkCodec(int compressionLevel, EncryptionKey? key)
    {
        _compressor = new Compressor(compressionLevel);
        _compressor.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
        _key = key;
    }

    /// <summary>
    /// The largest stored size a chunk of <paramref name="plainLength"/> bytes can take, encrypted
    /// or not: size the destination with it.
    /// </summary>
    public static int MaxEncodedLength(int plainLength) => Compressor.GetCompressBound(plainLength) + SealedBlocks.UnitOverhead;

    /// <summary>Encodes <paramref name="plain"/> into <paramref name="destination"/>; returns the stored length.</summary>
    public int Encode(ReadOnlySpan<byte> plain, Span<byte> destination)
    {
        if (_key is null)
            return _compressor.Wrap(plain, destination);
        // Compressed straight into its place between salt and tag, then encrypted there: no copy of the chunk.
        var compressed = _compressor.Wrap(plain, destination[SealedBlocks.SaltLength..^SealedBlocks.TagLength]);
        var unitLength = compressed + SealedBlocks.UnitOverhead;
        SealedBlocks.SealUnit(_key, destination[..unitLength]);
        return unitLength;
    }

    /// <summary>
    /// Decodes one stored chunk into <paramref name="plain"/>, which must be exactly the chunk's
    /// plain length.
    /// </summary>
    /// <exception cref="DecryptionFailedException">Wrong key, or the chunk was modified.</exception>
    /// <exception cref="ChunkLengthMismatchException">The frame is intact but holds another number of bytes: the record of its length is wrong.</exception>
    /// <exception cref="InvalidDataException">The frame is corrupt.</exception>
    public void Decode(ReadOnlySpan<byte> stored, Span<byte> plain)
    {
        var frame = _key is null ? stored : Open(_key, stored);
        _decompressor ??= new Decompressor();
        int written;
        try
        {
            written = _decompressor.Unwrap(frame, plain);
        }
        catch (ZstdException e)
        {
            throw IntactLength(frame, plain.Length) is { } actual
                ? new ChunkLengthMismatchException(actual, plain.Length)
                : new InvalidDataException($"corrupt zstd frame: {e.Message}", e);
        }
        // Unwrap returned, so the frame's content checksum held: the frame is intact.
        if (written != plain.Length)
            throw new ChunkLengthMismatchException(written, plain.Length);
    }

    public void Dispose()
    {
        _compressor.Dispose();
        _decompressor?.Dispose();
    }

    /// <summary>
    /// When a frame did not fit <paramref name="expected"/> bytes: the length it holds if it decodes
    /// intact into the size its header states (at most one 1 GiB, the largest chunk a manifest can
    /// name), else null — so a wrong length record is told from a damaged frame.
    /// </summary>
    private int? IntactLength(ReadOnlySpan<byte> frame, int expected)
    {
        ulong stated;
        try
        {
            stated = Decompressor.GetDecompressedSize(frame);
        }
        catch (ZstdException)
        {
            return null;
        }
        if (stated <= (ulong)expected || stated > 1 << 30) return null;
        try
        {
            return _decompressor!.Unwrap(frame, new byte[stated]);
        }
        catch (ZstdException)
        {
            return null;
        }
    }

    private ReadOnlySpan<byte> Open(EncryptionKey key, ReadOnlySpan<byte> stored)
    {
        var length = Math.Max(stored.Length - SealedBlocks.UnitOverhead, 0);
        if (_opened.Length < length)
            _opened = new byte[length];
        SealedBlocks.OpenUnit(key, stored, _opened.AsSpan(0, length));
        return _opened.AsSpan(0, length);
    }
}
