using System.CommandLine;
using PgBackup.Cli.Hosting;
using PgBackup.Cli.Json;
using PgBackup.Errors;
using PgBackup.Policies;
using PgBackup.Wal;

namespace PgBackup.Cli.Commands;

/// <summary>
/// `pgbackup check`: is the WAL archive unbroken from the oldest backup to now, and current? Prints
/// the findings, then fails with the first problem (exit 4 for missing WAL or history, 3 when the
/// cluster cannot be asked, 5 for lag or stale slots).
/// </summary>
internal static class CheckCommand
{
    public static Command Create()
    {
        var policyOption = PolicyOption.Create();
        var maxLag = ValidatedOption.WholeNumber("--max-lag", 1, 7 * 86_400, 300, "a number of seconds",
            "Fail when the archive trails the leader by more than this many seconds (default 300)");
        var json = new Option<bool>("--json") { Description = "Print the findings as JSON for scripts" };
        var command = new Command("check", "Check WAL archive continuity per timeline, history files, archiver lag and stale slots") { policyOption, maxLag, json };
        command.SetAction((parse, ct) => CommandRunner.Guard(async (log, token) =>
        {
            var policy = PolicyOption.Load(parse, policyOption);
            using var repository = policy.OpenRepository();
            var report = await new WalArchiveCheck(policy, repository, log).RunAsync(TimeSpan.FromSeconds(parse.GetValue(maxLag)), token);
            if (parse.GetValue(json)) Output.WriteJson(CheckJson.Of(report), PgBackupJson.Default.CheckJson);
            else Render(report);
            if (report.Ok)
                return 0;
            var first = report.Problems.OrderBy(p => Severity(p.Kind)).First();
            var more = report.Problems.Count > 1 ? $" (and {report.Problems.Count - 1} more problem(s) listed above)" : "";
            throw new PgBackupException(Severity(first.Kind), first.Message + more);
        }, ct));
        return command;
    }

    private static ErrorClass Severity(WalProblemKind kind) => kind switch
    {
        WalProblemKind.MissingWal or WalProblemKind.MissingHistory or WalProblemKind.DamagedWal => ErrorClass.RepositoryUnavailable,
        WalProblemKind.ClusterUnreachable => ErrorClass.SourceUnavailable,
        _ => ErrorClass.OperationFailed,
    };

    private static void Render(WalCheckReport r)
    {
        Console.Out.WriteLine($"continuity from  {r.FromWhat}{(r.From is { } f ? $" ({f} on timeline {r.FromTimeline})" : "")}");
        Console.Out.WriteLine($"archived to      {r.ArchivedTo?.ToString() ?? "-"} on the path of timeline {r.Timeline}");
        Console.Out.WriteLine($"history files    {(r.Histories.Count == 0 ? "none (timeline 1)" : string.Join(", ", r.Histories))}");
        Console.Out.WriteLine($"leader at        {r.LeaderLsn ?? "?"}; archive lag {r.LagBytes?.ToString() ?? "?"} bytes, {r.LagSeconds?.ToString("0.0") ?? "?"} s");
        Console.Out.WriteLine($"archiver         {(r.StreamingFrom is { } m ? "streaming from " + m : "not streaming from any member")}");
        foreach (var s in r.Slots)
            Console.Out.WriteLine($"slot             {s.Slot} on {s.Member}: {(s.Active ? "active" : "INACTIVE")}, restart {s.RestartLsn ?? "-"}, wal_status {s.WalStatus ?? "-"}");
        foreach (var p in r.Problems)
            Console.Out.WriteLine($"PROBLEM          {p.Message}");
        Console.Out.WriteLine(r.Ok ? "ok: the WAL archive is unbroken and current" : $"{r.Problems.Count} problem(s)");
    }
}
