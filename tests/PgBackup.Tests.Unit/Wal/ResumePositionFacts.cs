using PgBackup.Postgres;
using PgBackup.Wal;
using static PgBackup.Tests.Unit.Wal.ArchiveSamples;

namespace PgBackup.Tests.Unit.Wal;

public sealed class ResumePositionFacts
{
    private static readonly Lsn SlotRestart = Lsn.Parse("0/20000D8");

    [Fact]
    public void An_empty_archive_starts_at_the_segment_holding_the_slots_restart_point()
    {
        var start = ResumePosition.Compute(With(), TimelineHistory.ForFirstTimeline, SlotRestart, Lsn.Invalid);

        Assert.Equal(new StreamStart(1, Lsn.Parse("0/2000000")), start);
    }

    [Fact]
    public void Streaming_resumes_right_after_the_newest_complete_segment()
    {
        var start = ResumePosition.Compute(With(Range(1, 2, 4)), TimelineHistory.ForFirstTimeline, SlotRestart, Lsn.Invalid);

        Assert.Equal(new StreamStart(1, Lsn.Parse("0/5000000")), start);
    }

    [Fact]
    public void A_partial_in_the_repository_is_streamed_again_because_its_length_is_unknown()
    {
        var archived = With(Range(1, 2, 4));
        archived.AddPartial(new WalSegmentName(1, 5), DateTimeOffset.UnixEpoch);

        Assert.Equal(new StreamStart(1, Lsn.Parse("0/5000000")), ResumePosition.Compute(archived, TimelineHistory.ForFirstTimeline, SlotRestart, Lsn.Invalid));
    }

    [Fact]
    public void After_a_failover_the_old_timeline_is_streamed_up_to_its_switch_point_first()
    {
        var start = ResumePosition.Compute(With(Range(1, 2, 4)), Timeline2, SlotRestart, Lsn.Invalid);

        Assert.Equal(new StreamStart(1, Lsn.Parse("0/5000000")), start);
    }

    [Fact]
    public void Once_the_old_timeline_ended_here_the_new_one_starts_at_the_segment_holding_the_switch_point()
    {
        var archived = With(Range(1, 2, 4));
        archived.MarkEnded(1, SwitchPoint);

        Assert.Equal(new StreamStart(2, Lsn.Parse("0/5000000")), ResumePosition.Compute(archived, Timeline2, SlotRestart, Lsn.Invalid));
    }

    [Fact]
    public void Old_timeline_segments_past_the_switch_point_are_not_on_the_path_and_are_ignored()
    {
        // The old source had received more of timeline 1 than the promoted member: that WAL is history now.
        var archived = With(Range(1, 2, 7));

        Assert.Equal(new StreamStart(2, Lsn.Parse("0/5000000")), ResumePosition.Compute(archived, Timeline2, SlotRestart, Lsn.Invalid));
    }

    [Fact]
    public void The_new_timeline_resumes_after_its_own_newest_segment()
    {
        var archived = With([.. Range(1, 2, 4), .. Range(2, 5, 8)]);

        Assert.Equal(new StreamStart(2, Lsn.Parse("0/9000000")), ResumePosition.Compute(archived, Timeline2, SlotRestart, Lsn.Invalid));
    }

    [Fact]
    public void A_known_gap_moves_the_start_forward_to_what_the_member_still_has()
    {
        var start = ResumePosition.Compute(With(Range(1, 2, 4)), TimelineHistory.ForFirstTimeline, SlotRestart, floor: Lsn.Parse("0/9000028"));

        Assert.Equal(new StreamStart(1, Lsn.Parse("0/9000000")), start);
    }
}
