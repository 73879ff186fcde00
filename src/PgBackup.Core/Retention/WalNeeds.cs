using PgBackup.Postgres;
using PgBackup.Repository;
using PgBackup.Repository.Storage;
using PgBackup.Wal;

namespace PgBackup.Retention;

/// <summary>
/// Which archived WAL objects kept backups need, per timeline, for <see cref="RetentionPlan"/>:
/// segment ranges collected backup by backup, then everything else below a floor is expendable.
/// </summary>
internal sealed class WalNeeds
{
    private readonly List<(ObjectInfo Object, uint Timeline, WalSegmentName? Segment, bool Partial)> _objects = [];
    private readonly IReadOnlyDictionary<uint, TimelineHistory> _histories;
    private readonly long _segmentSize;
    private readonly Dictionary<uint, List<(ulong First, ulong Last)>> _needed = [];
    private readonly HashSet<uint> _neededTimelines = [];

    public WalNeeds(IReadOnlyList<ObjectInfo> walObjects, IReadOnlyDictionary<uint, TimelineHistory> histories, RepositoryLayout layout, long segmentSize)
    {
        _histories = histories;
        _segmentSize = segmentSize;
        foreach (var o in walObjects)
        {
            if (layout.TryParseWalObject(o.Key, out var name) && WalSegmentName.TryParse(name.Segment, out var segment, segmentSize))
                _objects.Add((o, name.Timeline, segment, name.Partial));
            else if (layout.TryParseTimelineHistory(o.Key, out var timeline))
                _objects.Add((o, timeline, null, false));
            // Anything else under wal/ is not ours to judge: it stays.
        }
        TimelinesWithoutHistory = Timelines.Where(t => HistoryOf(t) is null).Order().ToList();
        _neededTimelines.UnionWith(TimelinesWithoutHistory);
    }

    /// <summary>Timelines with WAL but no history file: their place in the history is unknown, so all their WAL stays.</summary>
    public IReadOnlyList<uint> TimelinesWithoutHistory { get; }

    private IEnumerable<uint> Timelines => _objects.Select(o => o.Timeline).Concat(_histories.Keys).Distinct();

    /// <summary>Marks the WAL a backup starting at <paramref name="start"/> on <paramref name="timeline"/> needs for its window.</summary>
    public void Keep(uint timeline, Lsn start)
    {
        foreach (var t in Timelines.Append(timeline).Distinct())
        {
            if (HistoryOf(t) is not { } history || !history.Contains(timeline)) continue;
            // A timeline that left the backup's line before the backup started never saw its WAL.
            if (t != timeline && history.SwitchPointOf(timeline) < start) continue;
            foreach (var range in WalPath.From(history, timeline, start, _segmentSize).Ranges)
            {
                // Up to and including the segment holding a switch point: recovery reads the new
                // timeline's copy, but the old one costs one segment and removes any doubt.
                var last = range.SwitchPoint is null ? ulong.MaxValue : range.Until;
                if (!_needed.TryGetValue(range.Timeline, out var list)) _needed[range.Timeline] = list = [];
                list.Add((range.First, last));
            }
            // Its history file lets recovery follow the path to t (ancestors are added by Expendable).
            _neededTimelines.Add(t);
        }
    }

    /// <summary>WAL objects nobody needs that lie wholly before <paramref name="floor"/>, and the history files left without purpose.</summary>
    public IReadOnlyList<ExpiredWal> Expendable(Lsn floor)
    {
        var floorSegment = floor.Value / (ulong)_segmentSize;
        var expired = _objects
            .Where(o => o.Segment is { } s && s.SegmentNumber < floorSegment && !IsNeeded(o.Timeline, s.SegmentNumber) && !TimelinesWithoutHistory.Contains(o.Timeline))
            .ToList();
        // A history file stays while its timeline, or any timeline descending from it, keeps WAL or is needed.
        var staying = _objects.Where(o => o.Segment is not null).Except(expired).Select(o => o.Timeline).Concat(_neededTimelines).ToHashSet();
        foreach (var t in staying.ToList())
            if (HistoryOf(t) is { } history) staying.UnionWith(history.Entries.Select(e => e.Timeline));
        expired.AddRange(_objects.Where(o => o.Segment is null && !staying.Contains(o.Timeline)));
        return expired
            .OrderBy(o => o.Timeline).ThenBy(o => o.Segment?.SegmentNumber ?? ulong.MaxValue).ThenBy(o => o.Partial)
            .Select(o => new ExpiredWal(o.Object, o.Timeline, o.Segment, o.Partial)).ToList();
    }

    private bool IsNeeded(uint timeline, ulong segment) =>
        _needed.TryGetValue(timeline, out var ranges) && ranges.Any(r => segment >= r.First && segment <= r.Last);

    private TimelineHistory? HistoryOf(uint timeline) =>
        timeline == 1 ? TimelineHistory.ForFirstTimeline : _histories.GetValueOrDefault(timeline);
}
