using PgBackup.Postgres;

namespace PgBackup.Wal;

/// <summary>Segments recovery needs that the repository does not hold: <see cref="First"/> to <see cref="Last"/>, both included.</summary>
public sealed record WalGap(WalSegmentName First, WalSegmentName Last)
{
    public uint Timeline => First.Timeline;

    public Lsn From => First.StartLsn;

    public Lsn To => Last.EndLsn;

    public ulong Count => Last.SegmentNumber - First.SegmentNumber + 1;

    /// <summary>"timeline 1: 000000010000000000000005..000000010000000000000007 (3 segments, WAL 0/5000000-0/8000000)".</summary>
    public override string ToString() =>
        $"timeline {Timeline}: {First}{(Count > 1 ? ".." + Last : "")} ({Count} segment{(Count > 1 ? "s" : "")}, WAL {From}-{To})";
}

/// <summary>Finds what breaks the chain of segments recovery would read, per timeline.</summary>
public static class WalContinuity
{
    /// <summary>The runs of segments <paramref name="path"/> reads up to <paramref name="until"/> (exclusive) that <paramref name="archived"/> lacks.</summary>
    public static IReadOnlyList<WalGap> FindGaps(ArchivedWal archived, WalPath path, Lsn until)
    {
        var gaps = new List<WalGap>();
        WalGap? open = null;
        foreach (var segment in path.SegmentsUntil(until))
        {
            var missing = !archived.HasSegment(segment.Timeline, segment.SegmentNumber);
            // A path's segments are consecutive within a timeline, so a run ends where one is present or the timeline changes.
            if (open is { } run && (!missing || run.Timeline != segment.Timeline))
            {
                gaps.Add(run);
                open = null;
            }
            if (missing)
                open = open is { } growing ? growing with { Last = segment } : new WalGap(segment, segment);
        }
        if (open is { } last)
            gaps.Add(last);
        return gaps;
    }
}
