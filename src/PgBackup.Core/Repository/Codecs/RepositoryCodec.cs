using ZstdSharp;
using ZstdSharp.Unsafe;

namespace PgBackup.Repository.Codecs;

/// <summary>
/// How plain bytes become stored bytes in a repository, for chunks (<see cref="CreateChunkCodec"/>)
/// and for whole objects (<see cref="Encode"/>, <see cref="Decode"/>). Every reader and writer goes
/// through this one class, so it is the seam for encryption: AES-256-GCM will be a stage after
/// compression here (seal each chunk frame in <see cref="ChunkCodec"/>, wrap the stored stream in
/// <see cref="Encode"/>/<see cref="Decode"/>) without changing any caller.
/// </summary>
public sealed class RepositoryCodec
{
    public const string Name = "zstd";

    public RepositoryCodec(int compressionLevel = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(compressionLevel, Compressor.MinCompressionLevel);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(compressionLevel, Compressor.MaxCompressionLevel);
        CompressionLevel = compressionLevel;
    }

    public int CompressionLevel { get; }

    /// <summary>A codec for one worker: it reuses zstd contexts and is not thread-safe.</summary>
    public ChunkCodec CreateChunkCodec() => new(CompressionLevel);

    /// <summary>
    /// A write-only stream that takes plain bytes and writes stored bytes (one zstd frame) to
    /// <paramref name="storedSink"/>; disposing it ends the frame and leaves the sink open.
    /// </summary>
    public Stream Encode(Stream storedSink)
    {
        var stream = new CompressionStream(storedSink, CompressionLevel, leaveOpen: true);
        // A content checksum in every frame: corruption is an error on decode, not wrong bytes.
        stream.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
        return stream;
    }

    /// <summary>
    /// A read-only stream of the plain bytes stored in <paramref name="storedSource"/>; it fails
    /// (<see cref="ZstdException"/> or <see cref="EndOfStreamException"/>) on corrupt or truncated
    /// input, and leaves the source open.
    /// </summary>
    public Stream Decode(Stream storedSource) => new DecompressionStream(storedSource, checkEndOfStream: true, leaveOpen: true);
}
