using ZstdSharp;
using ZstdSharp.Unsafe;

namespace PgBackup.Repository.Codecs;

/// <summary>
/// How plain bytes become stored bytes in a repository, for chunks (<see cref="CreateChunkCodec"/>),
/// whole objects (<see cref="Encode"/>, <see cref="Decode"/>) and pieces the source compressed
/// (<see cref="SealPiece"/>, <see cref="OpenPiece"/>): zstd (whole objects with a <see cref="ChecksumTrailer"/>), then — when the repository has a key —
/// AES-256-GCM (<see cref="SealedBlocks"/>). Every reader and writer goes through this one class.
/// </summary>
public sealed class RepositoryCodec
{
    public const string Name = "zstd";

    /// <summary>The first four bytes of every zstd frame (RFC 8878, 3.1.1): how a stored object is told from plain bytes.</summary>
    internal static ReadOnlySpan<byte> FrameMagic => [0x28, 0xB5, 0x2F, 0xFD];

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
    /// A write-only stream that takes plain bytes and writes stored bytes (one zstd frame and the
    /// <see cref="ChecksumTrailer"/>, sealed in blocks when encrypted) to <paramref name="storedSink"/>;
    /// disposing it ends the object and leaves the sink open.
    /// </summary>
    internal EncodingStream Encode(Stream storedSink)
    {
        if (Key is null)
            return new EncodingStream(Compress, storedSink, encryption: null);
        var encrypting = new EncryptingStream(storedSink, Key);
        return new EncodingStream(Compress, encrypting, encrypting);
    }

    /// <summary>
    /// A read-only stream of the plain bytes stored in <paramref name="storedSource"/>; it fails
    /// (<see cref="DecryptionFailedException"/>, <see cref="ZstdException"/>,
    /// <see cref="EndOfStreamException"/> or, at the end, <see cref="InvalidDataException"/> when
    /// the checksum trailer disagrees) on a wrong key, corrupt or truncated input, and leaves the
    /// source open.
    /// </summary>
    internal DecodingStream Decode(Stream storedSource) => Key is null
        ? new DecodingStream(storedSource, ownsFrames: false)
        : new DecodingStream(new DecryptingStream(storedSource, Key), ownsFrames: true);

    /// <summary>
    /// Seals a piece that arrived already compressed (BASE_BACKUP with the source's zstd) as one
    /// encrypted unit into <paramref name="destination"/> (at least <c>piece.Length + </c><see cref="PieceOverhead"/>
    /// bytes); returns the stored length. Only for an encrypted repository: otherwise pieces are stored as they are.
    /// </summary>
    public int SealPiece(ReadOnlySpan<byte> piece, Span<byte> destination)
    {
        var key = Key ?? throw new InvalidOperationException("an unencrypted repository stores pieces as they are");
        var unit = destination[..(piece.Length + SealedBlocks.UnitOverhead)];
        piece.CopyTo(unit[SealedBlocks.SaltLength..]);
        SealedBlocks.SealUnit(key, unit);
        return unit.Length;
    }

    /// <summary>What <see cref="SealPiece"/> adds to a piece.</summary>
    public static int PieceOverhead => SealedBlocks.UnitOverhead;

    /// <summary>Opens a piece sealed by <see cref="SealPiece"/> into <paramref name="piece"/>; returns its length.</summary>
    /// <exception cref="DecryptionFailedException">Wrong key, or the piece was modified or truncated.</exception>
    public int OpenPiece(ReadOnlySpan<byte> stored, Span<byte> piece)
    {
        var key = Key ?? throw new InvalidOperationException("an unencrypted repository stores pieces as they are");
        var length = Math.Max(stored.Length - SealedBlocks.UnitOverhead, 0);
        SealedBlocks.OpenUnit(key, stored, piece[..length]);
        return length;
    }

    private Stream Compress(Stream sink)
    {
        var stream = new CompressionStream(sink, CompressionLevel, leaveOpen: true);
        // A content checksum in every frame (chunks set it too, in ChunkCodec): corruption is an error on decode, not wrong bytes.
        stream.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
        return stream;
    }
}
