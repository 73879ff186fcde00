using System.Buffers.Binary;

namespace PgBackup.Repository.Codecs;

/// <summary>What the end of a decoded object said about its plain content's checksum.</summary>
public enum TrailerState
{
    /// <summary>A trailer recorded the SHA-256 of the plain content and it matched.</summary>
    Verified,

    /// <summary>No trailer: written before objects carried one; only zstd's frame checksum covers it.</summary>
    Absent,
}

/// <summary>What an object's trailer records: the SHA-256 of its plain content, and of the stored zstd frames before the trailer.</summary>
internal sealed record RecordedChecksums(byte[] Plain, byte[] Frames);

/// <summary>
/// The checksums of an encoded object, stored with the object as its last 76 bytes: a zstd
/// skippable frame (RFC 8878 §3.1.2) holding a tag, the SHA-256 of the plain content, and the
/// SHA-256 of the zstd frames before it (after decryption, when encrypted).
/// </summary>
/// <remarks>
/// Why a trailer, and not object metadata or a sidecar object: <see cref="Storage.IObjectStore"/>
/// has no metadata (a local directory has none, and s3rver's is not worth designing around); a
/// sidecar doubles the objects and PUTs of the WAL archive, and the partial segment is replaced
/// every second, so object and sidecar would disagree between two PUTs. A trailer is written in
/// the same atomic PUT as the content, is hashed on the way (known only at the end, hence a
/// trailer), is inside the encryption when there is a key, and — being a skippable frame — keeps
/// every object a valid zstd stream that `zstd -d` and older pgbackup versions decode unchanged.
/// The plain hash proves the content end to end (and is what manifests record); the frames hash
/// catches the flips zstd itself ignores — an unused header bit, a window size that changes
/// nothing — so that no flipped byte of a stored object goes unnoticed.
/// </remarks>
internal static class ChecksumTrailer
{
    public const int Length = FrameHeaderLength + PayloadLength;

    private const int FrameHeaderLength = 8;
    private const int PayloadLength = 4 + 2 * HashLength;
    private const int HashLength = 32;

    // zstd skips frames whose magic number is 0x184D2A50 to 0x184D2A5F; this one is ours.
    private const uint SkippableMagicMask = 0xFFFFFFF0;
    private const uint SkippableMagic = 0x184D2A50;
    private const uint Magic = 0x184D2A5C;

    private static ReadOnlySpan<byte> Tag => "PGB1"u8;

    private const int PlainAt = FrameHeaderLength + 4;
    private const int FramesAt = PlainAt + HashLength;

    public static byte[] Create(ReadOnlySpan<byte> plainSha256, ReadOnlySpan<byte> framesSha256)
    {
        var trailer = new byte[Length];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(4), PayloadLength);
        Tag.CopyTo(trailer.AsSpan(FrameHeaderLength));
        plainSha256.CopyTo(trailer.AsSpan(PlainAt));
        framesSha256.CopyTo(trailer.AsSpan(FramesAt));
        return trailer;
    }

    /// <summary>
    /// The checksums recorded in <paramref name="tail"/> (the object's last bytes, at most
    /// <see cref="Length"/>), or null if the object has no trailer.
    /// </summary>
    /// <exception cref="InvalidDataException">The object ends in a skippable frame of a trailer's size that is not an intact trailer.</exception>
    public static RecordedChecksums? Read(ReadOnlySpan<byte> tail)
    {
        if (tail.Length < Length) return null;
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(tail);
        if ((magic & SkippableMagicMask) != SkippableMagic || BinaryPrimitives.ReadUInt32LittleEndian(tail[4..]) != PayloadLength)
            return null;
        // A frame shaped like ours with another magic number or tag is ours with a flipped byte:
        // calling it "no trailer" would let that flip pass as an object of an older version.
        if (magic != Magic || !tail.Slice(FrameHeaderLength, Tag.Length).SequenceEqual(Tag))
            throw new InvalidDataException("its checksum trailer is damaged");
        return new RecordedChecksums(tail.Slice(PlainAt, HashLength).ToArray(), tail.Slice(FramesAt, HashLength).ToArray());
    }
}
