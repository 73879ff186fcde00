using PgBackup.Postgres;

namespace PgBackup.Wal;

/// <summary>One timeline's segment numbers on a recovery path: <see cref="First"/> up to, not including, <see cref="Until"/>.</summary>
/// <param name="Until">The segment holding <see cref="SwitchPoint"/>, which recovery reads from the next timeline;
/// <see cref="ulong.MaxValue"/> for the newest timeline, whose range is open.</param>
public readonly record struct WalPathRange(uint Timeline, ulong First, ulong Until, Lsn? SwitchPoint);

/// <summary>
/// The segment files recovery reads from an LSN on one timeline along a timeline history to its
/// newest timeline: restore (plan, download), verify, check, expire and the archiver's resume all
/// walk segments through this one type. PostgreSQL reads the segment holding a switch point from
/// the NEW timeline (its file starts with a copy of the old timeline's WAL), so a timeline that
/// ended at S needs its own segments only up to the one before S's.
/// </summary>
public sealed class WalPath
{
    private WalPath(IReadOnlyList<WalPathRange> ranges, long segmentSize)
    {
        Ranges = ranges;
        SegmentSize = segmentSize;
    }

    /// <summary>The ranges in replay order, one a timeline; the newest timeline's is open (<see cref="ulong.MaxValue"/>).</summary>
    public IReadOnlyList<WalPathRange> Ranges { get; }

    public long SegmentSize { get; }

    /// <summary>The path from <paramref name="from"/> (on <paramref name="fromTimeline"/>) to the newest timeline of <paramref name="history"/>.</summary>
    public static WalPath From(TimelineHistory history, uint fromTimeline, Lsn from, long segmentSize)
    {
        var size = (ulong)WalSegmentSize.Validate(segmentSize);
        var ranges = history.Path(fromTimeline, history.Timeline)
            .Select(span => new WalPathRange(
                span.Timeline,
                Lsn.Max(span.Begin, from).Value / size,
                span.End is { } end ? end.Value / size : ulong.MaxValue,
                span.End))
            .ToList();
        return new WalPath(ranges, segmentSize);
    }

    /// <summary>The path over all of <paramref name="history"/>, from the start of the oldest timeline it knows.</summary>
    public static WalPath Whole(TimelineHistory history, long segmentSize) =>
        From(history, history.Entries.Count > 0 ? history.Entries[0].Timeline : history.Timeline, Lsn.Invalid, segmentSize);

    /// <summary>
    /// The segments recovery reads to replay up to <paramref name="until"/> (exclusive: the last is
    /// the segment holding the byte before it), in replay order.
    /// </summary>
    public IEnumerable<WalSegmentName> SegmentsUntil(Lsn until)
    {
        var end = SegmentsEndAt(until);
        foreach (var range in Ranges)
            for (var n = range.First; n < Math.Min(range.Until, end); n++)
                yield return new WalSegmentName(range.Timeline, n, SegmentSize);
    }

    /// <summary>How many segments <see cref="SegmentsUntil"/> names, without naming them.</summary>
    public long CountUntil(Lsn until)
    {
        var end = SegmentsEndAt(until);
        return Ranges.Sum(r => Math.Min(r.Until, end) is var to && to > r.First ? (long)(to - r.First) : 0);
    }

    /// <summary>The range whose timeline recovery reads segment <paramref name="segmentNumber"/> from; null when the path does not reach it.</summary>
    public WalPathRange? RangeReading(ulong segmentNumber) =>
        Ranges.Where(r => r.First <= segmentNumber && segmentNumber < r.Until).Select(r => (WalPathRange?)r).FirstOrDefault();

    /// <summary>The number of the first segment that starts at or after <paramref name="until"/>: the first one not read.</summary>
    private ulong SegmentsEndAt(Lsn until) => (until.Value + (ulong)SegmentSize - 1) / (ulong)SegmentSize;
}
