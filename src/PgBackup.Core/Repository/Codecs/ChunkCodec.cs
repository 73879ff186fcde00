using ZstdSharp;
using ZstdSharp.Unsafe;

namespace PgBackup.Repository.Codecs;

/// <summary>
/// Encodes one chunk (a slice of a file, a few MiB) into one independent zstd frame, and back.
/// Holds zstd contexts that are expensive to create and not thread-safe: one per worker.
/// </summary>
public sealed class ChunkCodec : IDisposable
{
    private readonly Compressor _compressor;
    private Decompressor? _decompressor;

    internal ChunkCodec(int compressionLevel)
    {
        _compressor = new Compressor(compressionLevel);
        _compressor.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
    }

    /// <summary>The largest stored size a chunk of <paramref name="plainLength"/> bytes can take: size the destination with it.</summary>
    public static int MaxEncodedLength(int plainLength) => Compressor.GetCompressBound(plainLength);

    /// <summary>Encodes <paramref name="plain"/> into <paramref name="destination"/>; returns the stored length.</summary>
    public int Encode(ReadOnlySpan<byte> plain, Span<byte> destination) => _compressor.Wrap(plain, destination);

    /// <summary>
    /// Decodes one stored frame into <paramref name="plain"/>, which must be exactly the chunk's
    /// plain length.
    /// </summary>
    /// <exception cref="InvalidDataException">The frame is corrupt or does not hold exactly that many bytes.</exception>
    public void Decode(ReadOnlySpan<byte> stored, Span<byte> plain)
    {
        _decompressor ??= new Decompressor();
        int written;
        try
        {
            written = _decompressor.Unwrap(stored, plain);
        }
        catch (ZstdException e)
        {
            throw new InvalidDataException($"corrupt zstd frame: {e.Message}", e);
        }
        if (written != plain.Length)
            throw new InvalidDataException($"zstd frame holds {written} bytes, expected {plain.Length}");
    }

    public void Dispose()
    {
        _compressor.Dispose();
        _decompressor?.Dispose();
    }
}
