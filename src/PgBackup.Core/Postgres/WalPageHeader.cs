using System.Buffers.Binary;

namespace PgBackup.Postgres;

/// <summary>
/// The header at the start of every WAL page (XLogPageHeaderData; the first page of a segment has
/// the long form, XLogLongPageHeaderData, which adds the system identifier and the sizes). Layout
/// as in PostgreSQL 9.x–18, little-endian on every platform we run on.
/// </summary>
public readonly record struct WalPageHeader(
    ushort Magic,
    ushort Info,
    uint Timeline,
    Lsn PageAddress,
    uint RemainingLength,
    ulong SystemIdentifier,
    uint SegmentSize,
    uint PageSize)
{
    /// <summary>Bytes of a short header (SizeOfXLogShortPHD, MAXALIGNed).</summary>
    public const int ShortLength = 24;

    /// <summary>Bytes of a long header (SizeOfXLogLongPHD, MAXALIGNed).</summary>
    public const int LongLength = 40;

    /// <summary>XLP_FIRST_IS_CONTRECORD: the page starts with the rest of a record begun on an earlier page.</summary>
    public const ushort FirstIsContinuation = 0x0001;

    /// <summary>XLP_LONG_HEADER.</summary>
    public const ushort LongHeader = 0x0002;

    /// <summary>XLP_ALL_FLAGS: any other bit set means the header is not a page header.</summary>
    public const ushort AllFlags = 0x000F;

    public bool IsLong => (Info & LongHeader) != 0;

    public bool StartsWithContinuation => (Info & FirstIsContinuation) != 0;

    /// <summary>Where the page's first record (or continuation data) begins.</summary>
    public int Length => IsLong ? LongLength : ShortLength;

    /// <summary>Reads a header; the long fields are zero for a short one. Null when <paramref name="page"/> is too short.</summary>
    public static WalPageHeader? TryRead(ReadOnlySpan<byte> page)
    {
        if (page.Length < ShortLength)
            return null;
        var info = BinaryPrimitives.ReadUInt16LittleEndian(page[2..]);
        var isLong = (info & LongHeader) != 0;
        if (isLong && page.Length < LongLength)
            return null;
        return new WalPageHeader(
            BinaryPrimitives.ReadUInt16LittleEndian(page),
            info,
            BinaryPrimitives.ReadUInt32LittleEndian(page[4..]),
            new Lsn(BinaryPrimitives.ReadUInt64LittleEndian(page[8..])),
            BinaryPrimitives.ReadUInt32LittleEndian(page[16..]),
            isLong ? BinaryPrimitives.ReadUInt64LittleEndian(page[24..]) : 0,
            isLong ? BinaryPrimitives.ReadUInt32LittleEndian(page[32..]) : 0,
            isLong ? BinaryPrimitives.ReadUInt32LittleEndian(page[36..]) : 0);
    }
}
