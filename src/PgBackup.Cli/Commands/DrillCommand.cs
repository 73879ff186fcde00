using System.CommandLine;
using System.Text;
using PgBackup.Cli.Hosting;
using PgBackup.Cli.Rendering;
using PgBackup.Drill;
using PgBackup.Errors;
using PgBackup.Policies;

namespace PgBackup.Cli.Commands;

/// <summary>
/// `pgbackup drill`: prove with one command that the newest backup restores, and how long it takes.
/// The report is printed (or emitted as JSON) and stored in the repository; a failed check exits 5.
/// </summary>
internal static class DrillCommand
{
    public static Command Create()
    {
        var policyOption = PolicyOption.Create();
        var keep = new Option<bool>("--keep") { Description = "Leave the restored server running and its directory in place" };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON" };
        var scratch = new Option<string?>("--scratch") { Description = "Empty or new directory to restore into (default: a new one under the temp directory)" };
        var dbUser = new Option<string?>("--db-user") { Description = "Role the checks connect as over the Unix socket (default: the server's OS user)" };
        var pgBin = new Option<string?>("--pg-bin") { Description = "Directory of pg_ctl, postgres and pg_amcheck (default: pg_config --bindir, then /usr/lib/postgresql/MAJOR/bin)" };
        var osUser = new Option<string?>("--os-user") { Description = "When run as root: the user the server runs as (default postgres)" };
        var command = new Command("drill", "Restore the newest backup to a scratch server, check it, measure the recovery time, clean up")
            { policyOption, keep, json, scratch, dbUser, pgBin, osUser };
        command.SetAction((parse, ct) => CommandRunner.Guard(async (log, token) =>
        {
            var policy = PolicyOption.Load(parse, policyOption);
            var serverUser = ServerUser.Of(parse, osUser);
            var options = new DrillOptions(parse.GetValue(scratch), parse.GetValue(keep), WalFetchInvocation.RestoreCommand(policy.SourceFile, serverUser),
                serverUser, parse.GetValue(dbUser) ?? serverUser ?? Environment.UserName, parse.GetValue(pgBin));
            var report = await TransferProgress.RunAsync("drill", log, progress => new DrillRun(policy, log, progress).RunAsync(options, token));
            if (parse.GetValue(json)) Console.Out.WriteLine(Encoding.UTF8.GetString(DrillReports.Serialize(report)));
            else Render(report);
            if (report.FirstFailure is { } failed)
                throw new OperationFailedException($"drill failed at {failed.Name}: {failed.Detail}");
            return 0;
        }, ct));
        return command;
    }

    private static void Render(DrillReport r)
    {
        var times = r.UsableSeconds is { } total ? $"recovery time {total:0.0}s (restore {r.RestoreSeconds:0.0}s, recovery {r.RecoverySeconds:0.0}s)" : "no usable database";
        Console.Out.WriteLine($"drill of cluster {r.Cluster}: {(r.Success ? "PASSED" : "FAILED")}; backup {r.BackupId ?? "-"}, {times}");
        foreach (var c in r.Checks)
            Console.Out.WriteLine($"  {(c.Ok ? "ok  " : "FAIL")}  {c.Name,-9} {c.Detail}");
        if (r.KeptDataDirectory is { } dir)
            Console.Out.WriteLine($"kept: {dir}{(r.KeptPort is { } port ? $"; server on port {port}: psql -h /tmp -p {port} -d postgres   (stop: pg_ctl -D {dir}/pgdata stop)" : "")}");
    }
}
