using System.CommandLine;
using PgBackup.Backup;
using PgBackup.Cli.Hosting;
using PgBackup.Cli.Rendering;
using PgBackup.Policies;

namespace PgBackup.Cli.Commands;

/// <summary>`pgbackup backup`: a full backup from the healthiest replica.</summary>
internal static class BackupCommand
{
    public static Command Create()
    {
        var policyOption = PolicyOption.Create();
        var retry = ValidatedOption.OptionalWholeNumber("--retry", 0, 10, "a number of retries",
            "On a source failure, retry up to N times from the next healthiest member, waiting up to the policy's backup.retry_wait for one to qualify (default: the policy's backup.retries)");
        var json = new Option<bool>("--json") { Description = "Print the finished backup as JSON (as `info --json`)" };
        var command = new Command("backup", "Take a full backup of the cluster from its healthiest replica") { policyOption, retry, json };
        command.SetAction((parse, ct) => CommandRunner.Guard(async (log, token) =>
        {
            var policy = PolicyOption.Load(parse, policyOption);
            var retries = parse.GetValue(retry) ?? policy.Backup.Retries;
            var manifest = await TransferProgress.RunAsync("backup", log,
                progress => new BackupRun(policy, log, progress).RunAsync(retries, token));
            if (parse.GetValue(json)) Output.WriteJson(BackupSummary.Of(manifest));
            else Console.Out.WriteLine($"backup {manifest.Id} complete: {ByteSize.Format(manifest.DatabaseSize)} from {manifest.Source.Member}, " +
                $"stored {ByteSize.Format(manifest.StoredSize)} in {(manifest.EndTime - manifest.StartTime).TotalSeconds:0.0}s, LSN {manifest.StartLsn} to {manifest.EndLsn}, timeline {manifest.Timeline}");
            return 0;
        }, ct));
        return command;
    }
}
