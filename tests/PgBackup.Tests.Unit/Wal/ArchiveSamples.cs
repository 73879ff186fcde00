using PgBackup.Postgres;
using PgBackup.Wal;

namespace PgBackup.Tests.Unit.Wal;

/// <summary>Archives described by segment numbers on 16 MiB segments, and a failover from timeline 1 to 2 in segment 5.</summary>
internal static class ArchiveSamples
{
    public static readonly Lsn SwitchPoint = Lsn.Parse("0/5800000");

    public static readonly TimelineHistory Timeline2 = TimelineHistory.Parse(2, $"1\t{SwitchPoint}\tno recovery target specified\n");

    public static ArchivedWal With(params (uint Timeline, ulong Segment)[] segments)
    {
        var archived = new ArchivedWal(WalSegmentSize.Default);
        foreach (var (tli, n) in segments)
            archived.AddSegment(new WalSegmentName(tli, n), DateTimeOffset.UnixEpoch);
        return archived;
    }

    public static (uint, ulong)[] Range(uint timeline, ulong first, ulong last) =>
        Enumerable.Range((int)first, (int)(last - first + 1)).Select(n => (timeline, (ulong)n)).ToArray();
}
