using System.Buffers.Binary;
using PgBackup.Postgres;

namespace PgBackup.Tests.Unit.Postgres;

/// <summary>The INCREMENTAL.* header, read from files PostgreSQL 17 wrote (Samples/pg17-incremental, pg17-reconstruction).</summary>
public sealed class IncrementalFileHeaderFacts
{
    private static readonly byte[] Accounts = TestData.ReadBytes("Samples", "pg17-incremental", "base", "24636", "INCREMENTAL.24649");

    [Fact]
    public void A_file_with_changed_blocks_lists_them_ascending_and_pads_the_header_to_a_block()
    {
        var header = IncrementalFileHeader.Parse(Accounts, Accounts.Length);
        Assert.Equal([327u, 655u, 983u, 1311u, 1639u], header.Blocks);
        Assert.Equal(1640u, header.TruncationBlockLength);
        Assert.Equal(8192, header.Length);
        Assert.Equal(8192 + 4 * 8192, header.OffsetOf(4));
    }

    [Fact]
    public void A_file_with_no_changed_block_is_its_12_byte_header()
    {
        var bytes = TestData.ReadBytes("Samples", "pg17-incremental", "base", "24636", "INCREMENTAL.112");
        var header = IncrementalFileHeader.Parse(bytes, bytes.Length);
        Assert.Empty(header.Blocks);
        Assert.Equal(1u, header.TruncationBlockLength);
        Assert.Equal(12, header.Length);
    }

    [Fact]
    public void A_wrong_magic_number_is_named()
    {
        var bytes = (byte[])Accounts.Clone();
        bytes[0] ^= 0xff;
        var e = Assert.Throws<IncrementalFileFormatException>(() => IncrementalFileHeader.Parse(bytes, bytes.Length));
        Assert.Contains("magic number is 0xd3ae1ff2, not 0xd3ae1f0d", e.Message);
    }

    [Fact]
    public void A_block_count_the_file_cannot_hold_is_refused()
    {
        var bytes = WithUInt32((byte[])Accounts.Clone(), 4, 6);
        var e = Assert.Throws<IncrementalFileFormatException>(() => IncrementalFileHeader.Parse(bytes, bytes.Length));
        Assert.Contains("lists 6 blocks, which take 57344 bytes with the header, but the file has 49152", e.Message);
    }

    [Fact]
    public void A_block_count_beyond_a_segment_is_refused() =>
        Assert.Contains("more than the 131072 of a segment",
            Assert.Throws<IncrementalFileFormatException>(() => IncrementalFileHeader.Parse(WithUInt32((byte[])Accounts.Clone(), 4, 131073), Accounts.Length)).Message);

    [Fact]
    public void A_file_cut_short_is_refused() =>
        Assert.Throws<IncrementalFileFormatException>(() => IncrementalFileHeader.Parse(Accounts.AsSpan(0, 8192 + 8192), 8192 + 8192));

    [Theory]
    [InlineData(983u, "(655 then 983)")]  // a duplicate of the next one: 983 twice
    [InlineData(100u, "(655 then 100)")]  // out of order
    public void Block_numbers_must_be_strictly_ascending(uint third, string named)
    {
        var bytes = WithUInt32((byte[])Accounts.Clone(), 12 + 4 * 2, third);
        if (third == 983u) bytes = WithUInt32(bytes, 12 + 4 * 1, 983u); // blocks 327, 983, 983
        var e = Assert.Throws<IncrementalFileFormatException>(() => IncrementalFileHeader.Parse(bytes, bytes.Length));
        Assert.Contains("not strictly ascending", e.Message);
        Assert.Contains(third == 983u ? "(983 then 983)" : named, e.Message);
    }

    [Fact]
    public void Paths_map_between_a_relation_file_and_its_incremental_file()
    {
        Assert.True(IncrementalFileHeader.IsIncrementalPath("base/5/INCREMENTAL.16384.1"));
        Assert.False(IncrementalFileHeader.IsIncrementalPath("base/5/16384"));
        Assert.Equal("base/5/16384.1", IncrementalFileHeader.ReconstructedPath("base/5/INCREMENTAL.16384.1"));
        Assert.Equal("base/5/INCREMENTAL.16384_vm", IncrementalFileHeader.IncrementalPath("base/5/16384_vm"));
    }

    private static byte[] WithUInt32(byte[] bytes, int at, uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), value);
        return bytes;
    }
}
