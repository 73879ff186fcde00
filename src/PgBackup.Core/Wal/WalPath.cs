using PgBackup.Postgres;

namespace PgBackup.Wal;

/// <summary>One timeline's segment numbers on a recovery path: <see cref="First"/> up to, not including, <see cref="Until"/>.</summary>
public readonly record struct WalPathRange(uint Timeline, ulong First, ulong Until, Lsn? SwitchPoint);

/// <summary>
/// Which segment files recovery reads along a timeline history. PostgreSQL reads the segment
/// holding a switch point from the NEW timeline (its file starts with a copy of the old timeline's
/// WAL), so a timeline that ended at S needs its own segments only up to the one before S's.
/// </summary>
public static class WalPath
{
    /// <summary>
    /// The ranges recovery reads from <paramref name="from"/> (on <paramref name="fromTimeline"/>)
    /// to the newest timeline of <paramref name="history"/>, whose range is open
    /// (<see cref="ulong.MaxValue"/>): the caller bounds it.
    /// </summary>
    public static IReadOnlyList<WalPathRange> Ranges(TimelineHistory history, uint fromTimeline, Lsn from, long segmentSize)
    {
        var size = (ulong)WalSegmentSize.Validate(segmentSize);
        return history.Path(fromTimeline, history.Timeline)
            .Select(span => new WalPathRange(
                span.Timeline,
                Lsn.Max(span.Begin, from).Value / size,
                span.End is { } end ? end.Value / size : ulong.MaxValue,
                span.End))
            .ToList();
    }

    /// <summary>The oldest timeline a history knows: where a path over all of it starts.</summary>
    public static uint OldestTimeline(TimelineHistory history) => history.Entries.Count > 0 ? history.Entries[0].Timeline : history.Timeline;
}
