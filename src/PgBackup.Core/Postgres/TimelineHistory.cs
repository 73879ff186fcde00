using System.Globalization;
using System.Text;

namespace PgBackup.Postgres;

/// <summary>One ancestor line of a history file: <see cref="Timeline"/> ended at <see cref="SwitchPoint"/>.</summary>
public readonly record struct TimelineHistoryEntry(uint Timeline, Lsn SwitchPoint, string Reason);

/// <summary>A stretch of WAL on one timeline: from <see cref="Begin"/> up to (not including) <see cref="End"/>, or open-ended.</summary>
public readonly record struct TimelineSpan(uint Timeline, Lsn Begin, Lsn? End);

/// <summary>
/// The content of a timeline history file (XXXXXXXX.history) of <see cref="Timeline"/>: every
/// ancestor timeline and the LSN at which it was left, oldest first. A switch point belongs to
/// the NEW timeline (PostgreSQL's tliOfPointInHistory: begin &lt;= lsn &lt; end).
/// </summary>
public sealed class TimelineHistory
{
    private TimelineHistory(uint timeline, IReadOnlyList<TimelineHistoryEntry> entries)
    {
        Timeline = timeline;
        Entries = entries;
    }

    /// <summary>The timeline this history leads to (the one in the file name).</summary>
    public uint Timeline { get; }

    public IReadOnlyList<TimelineHistoryEntry> Entries { get; }

    /// <summary>The history of timeline 1, which has no file: nothing came before it.</summary>
    public static TimelineHistory ForFirstTimeline { get; } = new(1, []);

    /// <summary>Parses a history file's bytes as stored or sent by TIMELINE_HISTORY (PostgreSQL writes it as text).</summary>
    public static TimelineHistory Parse(uint timeline, ReadOnlySpan<byte> content) => Parse(timeline, Encoding.UTF8.GetString(content));

    /// <summary>Parses a history file as written by PostgreSQL ("parentTLI\tswitchpoint\treason" lines; '#' comments and blank lines ignored).</summary>
    public static TimelineHistory Parse(uint timeline, string content)
    {
        var entries = new List<TimelineHistoryEntry>();
        var lineNumber = 0;
        foreach (var rawLine in content.AsSpan().EnumerateLines())
        {
            lineNumber++;
            var line = rawLine.Trim();
            if (line.IsEmpty || line[0] == '#')
                continue;
            entries.Add(ParseLine(timeline, line, lineNumber));
        }

        for (var i = 0; i < entries.Count; i++)
        {
            var next = i + 1 < entries.Count ? entries[i + 1].Timeline : timeline;
            if (entries[i].Timeline >= next || (i > 0 && entries[i].SwitchPoint < entries[i - 1].SwitchPoint))
                throw new FormatException($"history file of timeline {timeline}: timelines and switch points must increase (line {i + 1})");
        }
        return new TimelineHistory(timeline, entries);
    }

    private static TimelineHistoryEntry ParseLine(uint timeline, ReadOnlySpan<char> line, int lineNumber)
    {
        // PostgreSQL parses with sscanf("%u\t%X/%X"): any whitespace separates the first two fields.
        var firstGap = line.IndexOfAny(' ', '\t');
        if (firstGap > 0 && uint.TryParse(line[..firstGap], NumberStyles.None, CultureInfo.InvariantCulture, out var tli))
        {
            var rest = line[firstGap..].TrimStart();
            var secondGap = rest.IndexOfAny(' ', '\t');
            var lsnText = secondGap < 0 ? rest : rest[..secondGap];
            if (Lsn.TryParse(lsnText, out var switchPoint))
                return new TimelineHistoryEntry(tli, switchPoint, secondGap < 0 ? "" : rest[secondGap..].Trim().ToString());
        }
        throw new FormatException($"history file of timeline {timeline}, line {lineNumber}: expected \"parentTLI<TAB>X/Y<TAB>reason\", got \"{line}\"");
    }

    /// <summary>The timeline that was current when WAL position <paramref name="lsn"/> was written, following this history.</summary>
    public uint TimelineAt(Lsn lsn)
    {
        foreach (var entry in Entries)
            if (lsn < entry.SwitchPoint)
                return entry.Timeline;
        return Timeline;
    }

    /// <summary>Where <paramref name="timeline"/> was left for its successor on this history; null for <see cref="Timeline"/> itself.</summary>
    public Lsn? SwitchPointOf(uint timeline)
    {
        if (timeline == Timeline)
            return null;
        foreach (var entry in Entries)
            if (entry.Timeline == timeline)
                return entry.SwitchPoint;
        throw new ArgumentException($"timeline {timeline} is not on the history of timeline {Timeline}", nameof(timeline));
    }

    /// <summary>
    /// Whether WAL of <paramref name="timeline"/> up to <paramref name="end"/> (exclusive, e.g. a backup's
    /// end LSN) is part of this history. A record that ends exactly at a switch point lies wholly on
    /// the old timeline, so <c>end == switch point</c> is included — unlike <see cref="TimelineAt"/>,
    /// which places the byte AT a switch point on the new timeline.
    /// </summary>
    public bool IncludesWalUpTo(uint timeline, Lsn end) =>
        Contains(timeline) && (SwitchPointOf(timeline) is not { } left || end <= left);

    /// <summary>
    /// Why a WAL page written on <paramref name="pageTimeline"/> at <paramref name="pageAddress"/> cannot
    /// belong to this history (a timeline not on it, or a page past where that timeline was left);
    /// null when it can.
    /// </summary>
    public string? PageMismatch(uint pageTimeline, Lsn pageAddress)
    {
        if (!Contains(pageTimeline))
            return $"a page of timeline {pageTimeline}, which is not on the history of timeline {Timeline}";
        if (SwitchPointOf(pageTimeline) is { } left && pageAddress >= left)
            return $"a page of timeline {pageTimeline} past {left}, where the history of timeline {Timeline} says that timeline was left";
        return null;
    }

    public bool Contains(uint timeline) => timeline == Timeline || Entries.Any(e => e.Timeline == timeline);

    /// <summary>
    /// The timelines WAL replay walks through from <paramref name="from"/> to <paramref name="to"/>
    /// (both on this history), each with the LSN range it covers.
    /// </summary>
    public IReadOnlyList<TimelineSpan> Path(uint from, uint to)
    {
        var spans = new List<TimelineSpan>();
        var begin = Lsn.Invalid;
        var collecting = false;
        for (var i = 0; i <= Entries.Count; i++)
        {
            var (tli, end) = i < Entries.Count ? (Entries[i].Timeline, (Lsn?)Entries[i].SwitchPoint) : (Timeline, null);
            collecting |= tli == from;
            if (collecting)
                spans.Add(new TimelineSpan(tli, begin, tli == to ? null : end));
            if (collecting && tli == to)
                return spans;
            begin = end ?? begin;
        }
        throw new ArgumentException($"timelines {from} → {to} are not both on the history of timeline {Timeline} (in that order)");
    }
}
