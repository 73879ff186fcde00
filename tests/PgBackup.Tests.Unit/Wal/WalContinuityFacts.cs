using PgBackup.Postgres;
using PgBackup.Wal;
using static PgBackup.Tests.Unit.Wal.ArchiveSamples;

namespace PgBackup.Tests.Unit.Wal;

public sealed class WalContinuityFacts
{
    private static IReadOnlyList<WalGap> Gaps(ArchivedWal archived, TimelineHistory history, string from, uint fromTimeline = 1) =>
        WalContinuity.FindGaps(archived, WalPath.From(history, fromTimeline, Lsn.Parse(from), archived.SegmentSize), ResumePosition.NewestArchived(archived, history)!.Value);

    [Fact]
    public void An_unbroken_timeline_has_no_gaps()
    {
        Assert.Empty(Gaps(With(Range(1, 2, 9)), TimelineHistory.ForFirstTimeline, "0/2000028"));
    }

    [Fact]
    public void A_missing_run_of_segments_is_named_exactly()
    {
        var archived = With([.. Range(1, 2, 4), .. Range(1, 8, 9)]);

        var gap = Assert.Single(Gaps(archived, TimelineHistory.ForFirstTimeline, "0/2000028"));

        Assert.Equal("000000010000000000000005", gap.First.FileName);
        Assert.Equal("000000010000000000000007", gap.Last.FileName);
        Assert.Equal("timeline 1: 000000010000000000000005..000000010000000000000007 (3 segments, WAL 0/5000000-0/8000000)", gap.ToString());
    }

    [Fact]
    public void Segments_before_the_start_point_are_not_required()
    {
        Assert.Empty(Gaps(With(Range(1, 6, 9)), TimelineHistory.ForFirstTimeline, "0/6123456"));
    }

    [Fact]
    public void Across_a_failover_the_switch_segment_comes_from_the_new_timeline()
    {
        // Timeline 1 up to segment 4, timeline 2 from segment 5 (its copy holds timeline 1's tail).
        var archived = With([.. Range(1, 2, 4), .. Range(2, 5, 7)]);
        archived.AddPartial(new WalSegmentName(1, 5), DateTimeOffset.UnixEpoch);

        Assert.Empty(Gaps(archived, Timeline2, "0/2000028"));
    }

    [Fact]
    public void A_missing_switch_segment_on_the_new_timeline_is_a_gap_even_when_the_old_timeline_has_it_complete()
    {
        var archived = With([.. Range(1, 2, 5), .. Range(2, 6, 7)]);

        var gap = Assert.Single(Gaps(archived, Timeline2, "0/2000028"));

        Assert.Equal(new WalSegmentName(2, 5), gap.First);
        Assert.Equal(new WalSegmentName(2, 5), gap.Last);
    }

    [Fact]
    public void A_gap_on_the_old_timeline_is_found_behind_a_complete_new_timeline()
    {
        var archived = With([.. Range(1, 2, 2), .. Range(1, 4, 4), .. Range(2, 5, 7)]);

        var gap = Assert.Single(Gaps(archived, Timeline2, "0/2000028"));

        Assert.Equal("timeline 1: 000000010000000000000003 (1 segment, WAL 0/3000000-0/4000000)", gap.ToString());
    }

    [Fact]
    public void Missing_segments_on_both_sides_of_a_switch_are_two_gaps_one_a_timeline()
    {
        var archived = With([.. Range(1, 2, 3), .. Range(2, 6, 7)]);

        var gaps = Gaps(archived, Timeline2, "0/2000028");

        Assert.Equal([(new WalSegmentName(1, 4), new WalSegmentName(1, 4)), (new WalSegmentName(2, 5), new WalSegmentName(2, 5))], gaps.Select(g => (g.First, g.Last)));
    }
}
