using System.Buffers.Binary;
using PgBackup.Postgres;
using PgBackup.Wal;

namespace PgBackup.Tests.Unit.Wal;

public sealed class WalSegmentHeaderFacts
{
    private const ulong SystemId = 7441234567890123456;

    /// <summary>The first 40 bytes of a PostgreSQL 15 segment: magic D110, XLP_LONG_HEADER, TLI, page address, sysid, sizes.</summary>
    private static byte[] SegmentStart(WalSegmentName name)
    {
        var bytes = new byte[8192];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, 0xD110);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2), 0x0002);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), name.Timeline);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), name.StartLsn.Value);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(24), SystemId);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(32), (uint)name.SegmentSize);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(36), 8192);
        return bytes;
    }

    [Fact]
    public void A_segment_matches_its_own_name_and_system()
    {
        var name = new WalSegmentName(1, 5);

        Assert.Null(WalSegmentHeader.Mismatch(SegmentStart(name), name, SystemId.ToString()));
    }

    [Fact]
    public void A_renamed_segment_is_refused_naming_both_positions()
    {
        var why = WalSegmentHeader.Mismatch(SegmentStart(new WalSegmentName(1, 5)), new WalSegmentName(1, 6), null);

        Assert.Contains("0/5000000", why);
        Assert.Contains("0/6000000", why);
    }

    [Fact]
    public void A_segment_of_another_database_system_is_refused()
    {
        var name = new WalSegmentName(1, 5);

        Assert.Contains("database system", WalSegmentHeader.Mismatch(SegmentStart(name), name, "42"));
    }

    [Fact]
    public void Bytes_without_a_long_page_header_are_not_a_segment()
    {
        Assert.Null(WalSegmentHeader.TryRead(new byte[8192]));
    }
}
