using System.CommandLine;
using PgBackup.Cli.Hosting;
using PgBackup.Cli.Rendering;
using PgBackup.Errors;
using PgBackup.Policies;
using PgBackup.Restore;

namespace PgBackup.Cli.Commands;

/// <summary>
/// `pgbackup restore`: the incident verb. It plans first (--dry-run stops there), restores into
/// an empty directory (or over an earlier copy with --delta), and with --start recovers and
/// reports where recovery actually ended.
/// </summary>
internal static class RestoreCommand
{
    public static Command Create()
    {
        var policyOption = PolicyOption.Create();
        var o = new RestoreCommandOptions();
        var command = new Command("restore", "Restore a backup and recover to a point in time") { policyOption };
        foreach (var option in o.All) command.Options.Add(option);
        command.SetAction((parse, ct) => CommandRunner.Guard(async (log, token) =>
        {
            if (parse.GetValue(o.PgData) is null && !parse.GetValue(o.DryRun))
                throw new UsageException("--pgdata DIR is required (or give --dry-run to only see the plan)");
            var policy = PolicyOption.Load(parse, policyOption);
            var target = o.Target(parse);
            var tablespaces = o.TablespaceMapOf(parse);
            var timeline = (uint?)parse.GetValue(o.Timeline);
            var backupId = parse.GetValue(o.Backup);
            RestorePlan plan;
            using (var repository = policy.OpenRepository())
                plan = await new RestorePlanner(repository).PlanAsync(target, backupId, timeline, token);
            RestorePlanOutput.Write(plan);
            if (parse.GetValue(o.DryRun)) return 0;

            var start = parse.GetValue(o.Start);
            var options = new RestoreOptions(plan.Backup.Id, target, plan.Timeline, parse.GetValue(o.PgData)!, tablespaces, parse.GetValue(o.Port),
                parse.GetValue(o.Delta), parse.GetValue(o.RestoreCommand) ?? WalFetchInvocation.RestoreCommand(policy.SourceFile, ServerUser.Of(parse, o.OsUser)),
                WalDuringRecovery: start, ServerUser: ServerUser.Of(parse, o.OsUser));
            // Check for binaries before writing anything: a missing PostgreSQL must not cost a whole restore.
            var pgBin = start ? RecoveredServer.FindBinaries(parse.GetValue(o.PgBin), plan.Backup.ServerVersionNum / 10000) : null;
            var result = await TransferProgress.RunAsync("restore", log, progress => new RestoreRun(policy, log, progress).RunAsync(options, token, plan));
            RestorePlanOutput.WriteSummary(result);
            if (pgBin is null) return 0;
            return await RecoveryReport.StartAndReportAsync(result, pgBin, options, ServerUser.Of(parse, o.OsUser), parse.GetValue(o.StopAfter), log, token);
        }, ct));
        return command;
    }
}
