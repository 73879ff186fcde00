using PgBackup.Policies;
using PgBackup.Restore;

namespace PgBackup.Cli.Rendering;

/// <summary>The restore plan and summary as an operator reads them: what, from where, how much, how long.</summary>
internal static class RestorePlanOutput
{
    public static void Write(RestorePlan plan)
    {
        var b = plan.Backup;
        var wal = plan.WalUntil is { } until
            ? $"{plan.WalFrom} to {until}: {plan.WalSegments} archived segment(s) of {ByteSize.Format(b.WalSegmentSize)}"
            : "none complete from the archive (the backup carries the WAL it needs)";
        if (plan.NewestPartial is { } partial) wal += $", plus the archiver's newest partial segment {partial.FileName} (the last seconds)";
        Console.Out.WriteLine($"""
            restore plan
              target      {plan.Target.Describe()}{(plan.Target.IsStandby ? "" : ", then " + plan.Target.Action.ToString().ToLowerInvariant())}
              backup      {b.Id} from {b.Source.Member}, ended {b.EndTime:u} at LSN {b.EndLsn} on timeline {b.Timeline}
              timelines   {plan.DescribeTimelinePath()} (recovery_target_timeline {(plan.Target.IsStandby ? "latest" : plan.Timeline)})
              WAL         {wal}
              download    {ByteSize.Format(plan.DownloadBytes)} (backup {ByteSize.Format(b.StoredSize)} stored, {ByteSize.Format(b.DatabaseSize)} restored)
              estimate    {(plan.EstimatedCopyTime is { } t ? $"about {t.TotalSeconds:0} s to copy, at the rate the backup was taken; WAL replay comes on top" : "unknown")}
              archive     newest WAL written {(plan.ArchiveNewestWrite is { } w ? w.ToString("u") : "never")}
            """);
    }

    public static void WriteSummary(RestoreResult r)
    {
        Console.Out.WriteLine($"restored backup {r.Plan.Backup.Id} into {r.PgData} in {r.Duration.TotalSeconds:0.0}s: " +
            $"{ByteSize.Format(r.BytesWritten)} written, {r.FilesKept} file(s) kept as they were, {r.WalSegments} archived WAL segment(s) {(r.Arrival == WalArrival.None ? "spooled for recovery" : "arriving while the server recovers")}");
    }
}
