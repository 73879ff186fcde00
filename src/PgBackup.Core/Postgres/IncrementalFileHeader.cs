using System.Buffers.Binary;

namespace PgBackup.Postgres;

/// <summary>
/// The header of an INCREMENTAL.* file of a PostgreSQL 17+ incremental backup (basebackup_incremental.c,
/// read as pg_combinebackup's reconstruct.c reads it): uint32 magic, uint32 block count, uint32
/// truncation_block_length, the block numbers, then — when there are blocks — padding to a multiple
/// of BLCKSZ, followed by the blocks in the listed order. Block numbers are relative to the segment.
/// </summary>
public sealed class IncrementalFileHeader
{
    public const uint Magic = 0xd3ae1f0d;

    /// <summary>BLCKSZ and RELSEG_SIZE of a default build; the only ones a server sending incrementals to us is checked against.</summary>
    public const int BlockSize = 8192;
    public const uint SegmentBlocks = 131072;

    /// <summary>The longest header there can be (every block of a segment listed), which fits in one stored chunk.</summary>
    public const int MaxLength = 12 + 4 * (int)SegmentBlocks;

    private const string Prefix = "INCREMENTAL.";

    private IncrementalFileHeader(uint truncationBlockLength, uint[] blocks, long length)
    {
        TruncationBlockLength = truncationBlockLength;
        Blocks = blocks;
        Length = length;
    }

    /// <summary>The reconstructed file is at least this many blocks long; older backups supply the blocks below it not listed here.</summary>
    public uint TruncationBlockLength { get; }

    /// <summary>The blocks this file holds, ascending; the i-th is at <see cref="OffsetOf"/>(i).</summary>
    public IReadOnlyList<uint> Blocks { get; }

    /// <summary>Bytes before the first block.</summary>
    public long Length { get; }

    public long OffsetOf(int index) => Length + (long)index * BlockSize;

    /// <summary>Reads the header from the start of an INCREMENTAL file of <paramref name="fileLength"/> bytes.</summary>
    /// <param name="start">The file's first bytes: at least <see cref="MaxLength"/>, or the whole file if shorter.</param>
    /// <exception cref="IncrementalFileFormatException">The bytes are not a whole, consistent incremental file.</exception>
    public static IncrementalFileHeader Parse(ReadOnlySpan<byte> start, long fileLength)
    {
        if (start.Length < 12)
            throw new IncrementalFileFormatException($"it has {start.Length} bytes, fewer than the 12 of an incremental file's header");
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(start);
        if (magic != Magic)
            throw new IncrementalFileFormatException($"its magic number is 0x{magic:x8}, not 0x{Magic:x8}");
        var count = BinaryPrimitives.ReadUInt32LittleEndian(start[4..]);
        var truncation = BinaryPrimitives.ReadUInt32LittleEndian(start[8..]);
        if (count > SegmentBlocks)
            throw new IncrementalFileFormatException($"it lists {count} blocks, more than the {SegmentBlocks} of a segment");
        if (truncation > SegmentBlocks)
            throw new IncrementalFileFormatException($"its truncation block length {truncation} exceeds the {SegmentBlocks} blocks of a segment");
        long length = 12 + 4L * count;
        if (count > 0 && length % BlockSize != 0) length += BlockSize - length % BlockSize;
        if (fileLength != length + (long)count * BlockSize)
            throw new IncrementalFileFormatException($"it lists {count} blocks, which take {length + (long)count * BlockSize} bytes with the header, but the file has {fileLength}");
        if (start.Length < 12 + 4 * (int)count)
            throw new IncrementalFileFormatException($"its header lists {count} blocks, but only {start.Length} bytes of it were given");
        var blocks = new uint[count];
        for (var i = 0; i < count; i++)
        {
            blocks[i] = BinaryPrimitives.ReadUInt32LittleEndian(start[(12 + 4 * i)..]);
            // PostgreSQL sorts the block numbers, and its block reference table holds each once.
            if (i > 0 && blocks[i] <= blocks[i - 1])
                throw new IncrementalFileFormatException($"its block numbers are not strictly ascending ({blocks[i - 1]} then {blocks[i]})");
            if (blocks[i] >= SegmentBlocks)
                throw new IncrementalFileFormatException($"it lists block {blocks[i]}, beyond the {SegmentBlocks} blocks of a segment");
        }
        return new IncrementalFileHeader(truncation, blocks, length);
    }

    /// <summary>Whether a backup path is an incremental file (its last component starts with INCREMENTAL.).</summary>
    public static bool IsIncrementalPath(string path) =>
        Path.GetFileName(path.AsSpan()).StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>The path of the file an incremental file reconstructs: base/5/INCREMENTAL.16384.1 → base/5/16384.1.</summary>
    public static string ReconstructedPath(string incrementalPath)
    {
        var slash = incrementalPath.LastIndexOf('/');
        return incrementalPath[..(slash + 1)] + incrementalPath[(slash + 1 + Prefix.Length)..];
    }

    /// <summary>The incremental file's path for a relation file's path: base/5/16384 → base/5/INCREMENTAL.16384.</summary>
    public static string IncrementalPath(string path)
    {
        var slash = path.LastIndexOf('/');
        return path[..(slash + 1)] + Prefix + path[(slash + 1)..];
    }
}

/// <summary>An INCREMENTAL file that does not read as PostgreSQL writes them; the message says what is wrong.</summary>
public sealed class IncrementalFileFormatException(string message) : Exception(message);
