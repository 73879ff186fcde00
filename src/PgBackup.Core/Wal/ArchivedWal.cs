using PgBackup.Postgres;
using PgBackup.Repository;

namespace PgBackup.Wal;

/// <summary>
/// What the repository holds of the WAL stream: complete segments and partial segments per
/// timeline, and which history files exist. Built from one listing, then kept current by the
/// archiver as it writes, so reconnecting never lists the repository again.
/// </summary>
public sealed class ArchivedWal
{
    private readonly Dictionary<uint, SortedSet<ulong>> _segments = [];
    private readonly Dictionary<uint, SortedSet<ulong>> _partials = [];
    private readonly HashSet<uint> _histories = [];

    // Timelines known to be archived right up to their switch point, because this process stored
    // the old timeline's partial segment when the server ended it. A partial found in a listing
    // proves nothing about how far it reaches, so it is never trusted this way.
    private readonly Dictionary<uint, Lsn> _endedAt = [];

    public ArchivedWal(long segmentSize) => SegmentSize = WalSegmentSize.Validate(segmentSize);

    public long SegmentSize { get; }

    /// <summary>Newest LastModified of any WAL object seen in the listing or written since.</summary>
    public DateTimeOffset? NewestWrite { get; private set; }

    public IEnumerable<uint> Timelines => _segments.Keys.Concat(_partials.Keys).Concat(_histories).Distinct().Order();

    public IReadOnlySet<uint> Histories => _histories;

    /// <summary>Lists the repository's wal/ objects once.</summary>
    public static async Task<ArchivedWal> LoadAsync(BackupRepository repository, long segmentSize, CancellationToken ct)
    {
        var archived = new ArchivedWal(segmentSize);
        var layout = repository.Layout;
        await foreach (var o in repository.Store.ListAsync(layout.WalPrefix, ct).ConfigureAwait(false))
        {
            if (layout.TryParseWalObject(o.Key, out var name) && WalSegmentName.TryParse(name.Segment, out var segment, segmentSize))
            {
                if (name.Partial) archived.AddPartial(segment, o.LastModified);
                else archived.AddSegment(segment, o.LastModified);
            }
            else if (layout.TryParseTimelineHistory(o.Key, out var timeline))
            {
                archived.AddHistory(timeline, o.LastModified);
            }
        }
        return archived;
    }

    public void AddSegment(WalSegmentName segment, DateTimeOffset written) =>
        Add(_segments, segment, written);

    public void AddPartial(WalSegmentName segment, DateTimeOffset written) =>
        Add(_partials, segment, written);

    public void RemovePartial(WalSegmentName segment)
    {
        if (_partials.TryGetValue(segment.Timeline, out var set)) set.Remove(segment.SegmentNumber);
    }

    public void AddHistory(uint timeline, DateTimeOffset written)
    {
        _histories.Add(timeline);
        Touch(written);
    }

    /// <summary>Records that <paramref name="timeline"/> is archived up to <paramref name="switchPoint"/>, where the server ended it.</summary>
    public void MarkEnded(uint timeline, Lsn switchPoint) => _endedAt[timeline] = switchPoint;

    public Lsn? EndedAt(uint timeline) => _endedAt.TryGetValue(timeline, out var lsn) ? lsn : null;

    public bool HasSegment(uint timeline, ulong segmentNumber) =>
        _segments.TryGetValue(timeline, out var set) && set.Contains(segmentNumber);

    public bool HasHistory(uint timeline) => _histories.Contains(timeline);

    /// <summary>Complete segments of <paramref name="timeline"/> numbered from <paramref name="first"/> to <paramref name="last"/>, in order.</summary>
    public IEnumerable<ulong> Segments(uint timeline, ulong first, ulong last) =>
        first <= last && _segments.TryGetValue(timeline, out var set) ? set.GetViewBetween(first, last) : [];

    /// <summary>The newest complete segment of <paramref name="timeline"/> numbered between <paramref name="first"/> and <paramref name="last"/>.</summary>
    public ulong? NewestSegment(uint timeline, ulong first, ulong last) =>
        first <= last && _segments.TryGetValue(timeline, out var set) && set.GetViewBetween(first, last) is { Count: > 0 } view ? view.Max : null;

    /// <summary>Partial segments of <paramref name="timeline"/>, in order.</summary>
    public IEnumerable<ulong> Partials(uint timeline) =>
        _partials.TryGetValue(timeline, out var set) ? set : [];

    public WalSegmentName Segment(uint timeline, ulong segmentNumber) => new(timeline, segmentNumber, SegmentSize);

    private void Add(Dictionary<uint, SortedSet<ulong>> map, WalSegmentName segment, DateTimeOffset written)
    {
        if (!map.TryGetValue(segment.Timeline, out var set)) map[segment.Timeline] = set = [];
        set.Add(segment.SegmentNumber);
        Touch(written);
    }

    private void Touch(DateTimeOffset written)
    {
        if (NewestWrite is null || written > NewestWrite) NewestWrite = written;
    }
}
