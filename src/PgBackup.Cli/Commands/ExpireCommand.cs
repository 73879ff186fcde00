using System.CommandLine;
using System.Globalization;
using PgBackup.Cli.Hosting;
using PgBackup.Policies;
using PgBackup.Retention;

namespace PgBackup.Cli.Commands;

/// <summary>`pgbackup expire`: apply the policy's retention; prints every decision and the space freed.</summary>
internal static class ExpireCommand
{
    public static Command Create()
    {
        var policyOption = PolicyOption.Create();
        var dryRun = new Option<bool>("--dry-run") { Description = "Show what would be removed and remove nothing" };
        var command = new Command("expire", "Remove backups and WAL the retention policy no longer keeps") { policyOption, dryRun };
        command.SetAction((parse, ct) => CommandRunner.Guard(async (log, token) =>
        {
            var policy = PolicyOption.Load(parse, policyOption);
            var plan = await new ExpireRun(policy, log).RunAsync(parse.GetValue(dryRun), token);
            Render(plan, parse.GetValue(dryRun));
            return 0;
        }, ct));
        return command;
    }

    private static void Render(RetentionPlan plan, bool dryRun)
    {
        var verb = dryRun ? "would remove" : "removed";
        foreach (var b in plan.Backups)
        {
            var started = b.Manifest.StartTime.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
            Console.Out.WriteLine(b.KeptBecause is { } why
                ? $"keep     backup {b.Entry.Id} (started {started}Z, timeline {b.Manifest.Timeline}): {why}"
                : $"{(dryRun ? "expire?" : "expired"),-8} backup {b.Entry.Id} (started {started}Z, timeline {b.Manifest.Timeline}), {ByteSize.Format(b.Entry.StoredBytes)}");
        }
        foreach (var d in plan.Debris)
            Console.Out.WriteLine($"debris   {d.Id} (dead backup, last written {d.LastModified.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z), {ByteSize.Format(d.StoredBytes)}");
        foreach (var line in WalLines(plan.Wal))
            Console.Out.WriteLine("wal      " + line);
        foreach (var t in plan.TimelinesWithoutHistory)
            Console.Out.WriteLine($"note     timeline {t} has WAL but no history file, so all of its WAL is kept; `pgbackup check` explains");
        var wal = plan.Wal.Sum(w => w.Object.Size);
        Console.Out.WriteLine($"{verb} {plan.Expired.Count()} backup(s), {plan.Debris.Count} debris folder(s) and {plan.Wal.Count} WAL object(s) ({ByteSize.Format(wal)}): " +
            $"{ByteSize.Format(plan.BytesFreed)} {(dryRun ? "would be freed (dry run: nothing removed)" : "freed")}");
    }

    /// <summary>Contiguous runs of removed segments per timeline, e.g. "timeline 1: 000000010000000000000001..000000010000000000000009 (9 segments)".</summary>
    private static IEnumerable<string> WalLines(IReadOnlyList<ExpiredWal> wal)
    {
        foreach (var timeline in wal.GroupBy(w => w.Timeline))
        {
            var segments = timeline.Where(w => w.Segment is not null && !w.Partial).Select(w => w.Segment!.Value).ToList();
            for (var i = 0; i < segments.Count;)
            {
                var j = i;
                while (j + 1 < segments.Count && segments[j + 1].SegmentNumber == segments[j].SegmentNumber + 1) j++;
                var count = j - i + 1;
                yield return $"timeline {timeline.Key}: {segments[i]}{(count > 1 ? ".." + segments[j] : "")} ({count} segment{(count > 1 ? "s" : "")})";
                i = j + 1;
            }
            foreach (var partial in timeline.Where(w => w.Partial))
                yield return $"timeline {timeline.Key}: {partial.Segment}.partial";
            foreach (var history in timeline.Where(w => w.Segment is null))
                yield return $"timeline {timeline.Key}: history file {Path.GetFileName(history.Object.Key)}";
        }
    }
}
