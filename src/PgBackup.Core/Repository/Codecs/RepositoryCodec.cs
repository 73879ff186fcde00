using ZstdSharp;
using ZstdSharp.Unsafe;

namespace PgBackup.Repository.Codecs;

/// <summary>
/// How plain bytes become stored bytes in a repository, for chunks (<see cref="CreateChunkCodec"/>)
/// and for whole objects (<see cref="Encode"/>, <see cref="Decode"/>): zstd, then — when the
/// repository has a key — AES-256-GCM (<see cref="SealedBlocks"/>). Every reader and writer goes
/// through this one class.
/// </summary>
public sealed class RepositoryCodec
{
    public const string Name = "zstd";

    public RepositoryCodec(int compressionLevel = 3, EncryptionKey? key = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(compressionLevel, Compressor.MinCompressionLevel);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(compressionLevel, Compressor.MaxCompressionLevel);
        CompressionLevel = compressionLevel;
        Key = key;
    }

    public int CompressionLevel { get; }

    /// <summary>The repository's encryption key; null for an unencrypted repository.</summary>
    public EncryptionKey? Key { get; }

    public bool IsEncrypted => Key is not null;

    /// <summary>A codec for one worker: it reuses zstd contexts and is not thread-safe.</summary>
    public ChunkCodec CreateChunkCodec() => new(CompressionLevel, Key);

    /// <summary>
    /// A write-only stream that takes plain bytes and writes stored bytes (one zstd frame, sealed
    /// in blocks when encrypted) to <paramref name="storedSink"/>; disposing it ends the object and
    /// leaves the sink open.
    /// </summary>
    public Stream Encode(Stream storedSink)
    {
        if (Key is null)
            return Compress(storedSink);
        var encrypting = new EncryptingStream(storedSink, Key);
        return new WriteStages(Compress(encrypting), encrypting);
    }

    /// <summary>
    /// A read-only stream of the plain bytes stored in <paramref name="storedSource"/>; it fails
    /// (<see cref="DecryptionFailedException"/>, <see cref="ZstdException"/> or
    /// <see cref="EndOfStreamException"/>) on a wrong key, corrupt or truncated input, and leaves
    /// the source open.
    /// </summary>
    public Stream Decode(Stream storedSource) => Key is null
        ? new DecompressionStream(storedSource, checkEndOfStream: true, leaveOpen: true)
        : new DecompressionStream(new DecryptingStream(storedSource, Key), checkEndOfStream: true, leaveOpen: false);

    private Stream Compress(Stream sink)
    {
        var stream = new CompressionStream(sink, CompressionLevel, leaveOpen: true);
        // A content checksum in every frame: corruption is an error on decode, not wrong bytes.
        stream.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
        return stream;
    }
}
