using PgBackup.Postgres;

namespace PgBackup.Wal;

/// <summary>Where streaming starts: always a segment boundary, so every segment is assembled whole.</summary>
public readonly record struct StreamStart(uint Timeline, Lsn Lsn);

/// <summary>
/// Decides where streaming resumes from what the repository holds along the source's timeline
/// history. Only complete segments (and timelines this process saw end) count: a partial found
/// in the repository may be older than its name suggests, so its segment is streamed again.
/// </summary>
public static class ResumePosition
{
    /// <param name="archived">What the repository holds.</param>
    /// <param name="history">The source member's history (of its current timeline).</param>
    /// <param name="slotRestart">The slot's restart LSN: where to begin when nothing on this history is archived.</param>
    /// <param name="floor">Never start before this (WAL older than it is known to be gone).</param>
    public static StreamStart Compute(ArchivedWal archived, TimelineHistory history, Lsn slotRestart, Lsn floor)
    {
        var reached = NewestArchived(archived, history);
        var position = reached ?? slotRestart;
        if (!position.IsValid)
            throw new ArgumentException("nothing is archived on this history and the slot reserves no WAL", nameof(slotRestart));
        position = Lsn.Max(position, floor);
        var segment = WalSegmentName.Containing(history.TimelineAt(position), position, archived.SegmentSize);
        return new StreamStart(segment.Timeline, segment.StartLsn);
    }

    /// <summary>
    /// How far the repository covers WAL on this history: the end of the newest complete segment
    /// on the path, clipped at its timeline's switch point; null if nothing on the path is archived.
    /// </summary>
    public static Lsn? NewestArchived(ArchivedWal archived, TimelineHistory history)
    {
        Lsn? best = null;
        foreach (var range in WalPath.Whole(history, archived.SegmentSize).Ranges)
        {
            Lsn? reached = null;
            if (range.SwitchPoint is { } sp && archived.EndedAt(range.Timeline) >= sp)
                reached = sp;
            // A segment of this timeline holding its switch point (archived before the switch) counts up to the switch: Until is included.
            if (archived.NewestSegment(range.Timeline, range.First, range.Until) is { } n)
            {
                var end = archived.Segment(range.Timeline, n).EndLsn;
                if (range.SwitchPoint is { } s && end > s) end = s;
                reached = reached is { } r ? Lsn.Max(r, end) : end;
            }
            if (reached is { } x) best = best is { } b ? Lsn.Max(b, x) : x;
        }
        return best;
    }
}
