using PgBackup.Postgres;

namespace PgBackup.Tests.Unit.Postgres;

/// <summary>Expected names come from a PostgreSQL 15 server on timeline 2: SELECT pg_walfile_name(...).</summary>
public class WalSegmentNameFacts
{
    private const long SixteenMiB = 16 * 1024 * 1024;

    [Theory]
    // pg_walfile_name('0/3000028') = 000000020000000000000003
    [InlineData("0/3000028", "000000020000000000000003")]
    // pg_walfile_name('0/1000001') = 000000020000000000000001
    [InlineData("0/1000001", "000000020000000000000001")]
    // pg_walfile_name('16/B374D848') = 0000000200000016000000B3
    [InlineData("16/B374D848", "0000000200000016000000B3")]
    public void Names_the_segment_containing_an_lsn_as_pg_walfile_name_does(string lsn, string expected) =>
        Assert.Equal(expected, WalSegmentName.Containing(2, Lsn.Parse(lsn)).FileName);

    [Fact]
    public void At_a_boundary_takes_the_segment_starting_there_where_pg_walfile_name_takes_the_one_ending_there()
    {
        // pg_walfile_name('1/FF000000') = 0000000200000001000000FE (XLByteToPrevSeg)
        Assert.Equal("0000000200000001000000FF", WalSegmentName.Containing(2, Lsn.Parse("1/FF000000")).FileName);
        // pg_walfile_name('0/1000000') = 000000020000000000000000
        Assert.Equal("000000020000000000000001", WalSegmentName.Containing(2, Lsn.Parse("0/1000000")).FileName);
    }

    [Fact]
    public void Knows_where_a_segment_starts_and_ends_and_which_comes_next()
    {
        var segment = WalSegmentName.Parse("0000000100000001000000FF");
        Assert.Equal(Lsn.Parse("1/FF000000"), segment.StartLsn);
        Assert.Equal(Lsn.Parse("2/0"), segment.EndLsn);
        Assert.Equal("000000010000000200000000", segment.Next().FileName);
    }

    [Theory]
    [InlineData(1L << 20, "000000010000000000000FFF", 0xFFFUL)]
    [InlineData(1L << 30, "000000010000000100000003", 7UL)]
    [InlineData(64L << 20, "00000001000000020000003F", 0xBFUL)]
    public void Splits_the_segment_number_by_segment_size(long size, string name, ulong segmentNumber)
    {
        var parsed = WalSegmentName.Parse(name, size);
        Assert.Equal(segmentNumber, parsed.SegmentNumber);
        Assert.Equal(name, new WalSegmentName(1, segmentNumber, size).FileName);
    }

    [Theory]
    [InlineData("000000010000000000000100")] // 0x100 segments of 16 MiB do not fit in 4 GiB
    [InlineData("000000000000000000000001")] // timeline 0
    [InlineData("00000001000000000000000")]
    [InlineData("0000000100000000000000001")]
    [InlineData("00000001000000000000000a")] // PostgreSQL never writes lower case
    [InlineData("00000001000000000000000G")]
    public void Rejects_names_that_are_not_segments(string name) => Assert.False(WalSegmentName.TryParse(name, out _, SixteenMiB));

    [Theory]
    [InlineData(0L)]
    [InlineData(512L * 1024)]
    [InlineData(3L << 20)]
    [InlineData(2L << 30)]
    public void Segment_size_must_be_a_power_of_two_from_1MiB_to_1GiB(long size)
    {
        Assert.False(WalSegmentSize.IsValid(size));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WalSegmentName(1, 1, size));
    }

    [Fact]
    public void Classifies_every_kind_of_file_in_pg_wal()
    {
        var segment = WalFileName.Parse("000000020000000000000003");
        Assert.Equal((WalFileKind.Segment, 2u, 3UL), (segment.Kind, segment.Timeline, segment.Segment!.Value.SegmentNumber));

        var partial = WalFileName.Parse("000000010000000000000003.partial");
        Assert.Equal((WalFileKind.PartialSegment, 1u, 3UL), (partial.Kind, partial.Timeline, partial.Segment!.Value.SegmentNumber));

        var history = WalFileName.Parse("0000000A.history");
        Assert.Equal((WalFileKind.TimelineHistory, 10u, (WalSegmentName?)null), (history.Kind, history.Timeline, history.Segment));
        Assert.Equal("0000000A.history", WalFileName.HistoryFileName(10));

        var backup = WalFileName.Parse("000000010000000000000002.00000028.backup");
        Assert.Equal((WalFileKind.BackupHistory, Lsn.Parse("0/2000028")), (backup.Kind, backup.BackupStartLsn));
    }

    [Theory]
    [InlineData("00000000.history")]
    [InlineData("0000001.history")]
    [InlineData("000000010000000000000002.backup")]
    [InlineData("000000010000000000000002.0000028.backup")]
    [InlineData("000000010000000000000002.01000000.backup")] // offset beyond a 16 MiB segment
    [InlineData("000000010000000000000002.partial.partial")]
    [InlineData("archive_status")]
    public void Rejects_other_files(string name) => Assert.False(WalFileName.TryParse(name, out _));
}
