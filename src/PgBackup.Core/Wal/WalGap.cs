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
    /// <summary>
    /// Missing segments on the path from <paramref name="from"/> on <paramref name="fromTimeline"/>
    /// to <paramref name="until"/> (exclusive, on the newest timeline of <paramref name="history"/>).
    /// </summary>
    public static IReadOnlyList<WalGap> FindGaps(ArchivedWal archived, TimelineHistory history, uint fromTimeline, Lsn from, Lsn until)
    {
        var gaps = new List<WalGap>();
        var untilSegment = (until.Value + (ulong)archived.SegmentSize - 1) / (ulong)archived.SegmentSize;
        foreach (var range in WalPath.Ranges(history, fromTimeline, from, archived.SegmentSize))
        {
            var end = Math.Min(range.Until, untilSegment);
            ulong? missingFrom = null;
            for (var n = range.First; n < end; n++)
            {
                var present = archived.HasSegment(range.Timeline, n);
                if (!present && missingFrom is null) missingFrom = n;
                if (present && missingFrom is { } m)
                {
                    gaps.Add(new WalGap(archived.Segment(range.Timeline, m), archived.Segment(range.Timeline, n - 1)));
                    missingFrom = null;
                }
            }
            if (missingFrom is { } open)
                gaps.Add(new WalGap(archived.Segment(range.Timeline, open), archived.Segment(range.Timeline, end - 1)));
        }
        return gaps;
    }
}
