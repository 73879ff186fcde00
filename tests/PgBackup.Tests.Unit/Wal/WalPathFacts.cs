using PgBackup.Postgres;
using PgBackup.Wal;

namespace PgBackup.Tests.Unit.Wal;

/// <summary>
/// The segments recovery reads along a history, on the history file and first new-timeline segment
/// captured after two switchovers (timeline 1 left at 0/80000A0, timeline 2 at 0/D0000A0).
/// </summary>
public sealed class WalPathFacts
{
    private const long SegmentSize = WalSegmentSize.Default;
    private static readonly string Samples = Path.Combine(TestData.RepoRoot(), "tests", "PgBackup.Tests.Unit", "Postgres", "Samples", "wal");
    private static readonly TimelineHistory Captured = TimelineHistory.Parse(3, File.ReadAllText(Path.Combine(Samples, "timeline-switch.history")));

    private static WalPath FromTimeline1 => WalPath.From(Captured, 1, Lsn.Parse("0/6000028"), SegmentSize);

    private static string[] Names(IEnumerable<WalSegmentName> segments) => segments.Select(s => s.FileName).ToArray();

    [Fact]
    public void Each_timeline_is_read_up_to_the_segment_holding_its_switch_point()
    {
        Assert.Equal(
            [
                new WalPathRange(1, 6, 8, Lsn.Parse("0/80000A0")),
                new WalPathRange(2, 8, 0xD, Lsn.Parse("0/D0000A0")),
                new WalPathRange(3, 0xD, ulong.MaxValue, null),
            ],
            FromTimeline1.Ranges);
    }

    [Fact]
    public void The_segments_holding_switch_points_are_named_on_the_new_timeline()
    {
        Assert.Equal(
            [
                "000000010000000000000006", "000000010000000000000007",
                "000000020000000000000008", "000000020000000000000009", "00000002000000000000000A", "00000002000000000000000B", "00000002000000000000000C",
                "00000003000000000000000D", "00000003000000000000000E",
            ],
            Names(FromTimeline1.SegmentsUntil(Lsn.Parse("0/F000000"))));
    }

    [Fact]
    public void The_end_is_exclusive_a_byte_into_a_segment_needs_that_segment()
    {
        Assert.Equal("00000003000000000000000D", Names(FromTimeline1.SegmentsUntil(Lsn.Parse("0/E000000")))[^1]);
        Assert.Equal("00000003000000000000000E", Names(FromTimeline1.SegmentsUntil(Lsn.Parse("0/E000001")))[^1]);
    }

    [Theory]
    [InlineData("0/6000000", 0)]
    [InlineData("0/6000028", 1)]
    [InlineData("0/7FFFFFF", 2)]
    [InlineData("0/D0000A0", 8)]
    [InlineData("0/F000000", 9)]
    public void The_count_is_the_number_of_segments_named(string until, long count)
    {
        Assert.Equal(count, FromTimeline1.CountUntil(Lsn.Parse(until)));
        Assert.Equal(count, FromTimeline1.SegmentsUntil(Lsn.Parse(until)).Count());
    }

    [Fact]
    public void The_count_of_a_long_window_is_computed_not_enumerated()
    {
        Assert.Equal(0xFFFFL * 256 - 6, FromTimeline1.CountUntil(Lsn.Parse("FFFF/0")));
    }

    [Fact]
    public void A_path_from_a_later_timeline_skips_the_earlier_ones()
    {
        var path = WalPath.From(Captured, 2, Lsn.Parse("0/9000028"), SegmentSize);

        Assert.Equal([2u, 3u], path.Ranges.Select(r => r.Timeline));
        Assert.Equal("000000020000000000000009", Names(path.SegmentsUntil(Lsn.Parse("0/A000000")))[0]);
    }

    [Fact]
    public void The_whole_path_starts_at_the_oldest_timeline_from_its_first_segment()
    {
        var path = WalPath.Whole(Captured, SegmentSize);

        Assert.Equal(new WalPathRange(1, 0, 8, Lsn.Parse("0/80000A0")), path.Ranges[0]);
        Assert.Equal([new WalPathRange(1, 0, ulong.MaxValue, null)], WalPath.Whole(TimelineHistory.ForFirstTimeline, SegmentSize).Ranges);
    }

    [Fact]
    public void The_captured_first_segment_after_a_switch_is_read_from_the_new_timeline_though_its_first_page_is_the_parents()
    {
        var segment = new ZstdSharp.Decompressor().Unwrap(File.ReadAllBytes(Path.Combine(Samples, "timeline-switch.zst"))).ToArray();
        var header = WalPageHeader.TryRead(segment)!.Value;

        Assert.Equal(2u, header.Timeline);
        Assert.Equal(3u, WalPath.Whole(Captured, SegmentSize).RangeReading(header.PageAddress.Value / SegmentSize)?.Timeline);
    }

    [Fact]
    public void No_range_reads_a_segment_before_the_start()
    {
        Assert.Null(FromTimeline1.RangeReading(5));
        Assert.Equal(1u, FromTimeline1.RangeReading(7)?.Timeline);
    }

    [Fact]
    public void A_start_on_a_timeline_off_the_history_is_refused()
    {
        Assert.Throws<ArgumentException>(() => WalPath.From(Captured, 4, Lsn.Parse("0/6000028"), SegmentSize));
    }
}
