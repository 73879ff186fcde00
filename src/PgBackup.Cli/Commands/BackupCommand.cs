using System.CommandLine;
using PgBackup.Backup;
using PgBackup.Cli.Hosting;
using PgBackup.Cli.Json;
using PgBackup.Cli.Rendering;
using PgBackup.Policies;
using PgBackup.Repository.Catalog;

namespace PgBackup.Cli.Commands;

/// <summary>`pgbackup backup`: a full, differential or incremental backup from the healthiest replica.</summary>
internal static class BackupCommand
{
    public static Command Create()
    {
        var policyOption = PolicyOption.Create();
        var retry = ValidatedOption.OptionalWholeNumber("--retry", 0, 10, "a number of retries",
            "On a source failure, retry up to N times from the next healthiest member, waiting up to the policy's backup.retry_wait for one to qualify (default: the policy's backup.retries)");
        var type = ValidatedOption.OneOf("--type", "", [.. BackupTypeNames.All],
            "full; diff: only the blocks changed since the newest full; incr: since the newest backup (default: the policy's backup.type)");
        var json = new Option<bool>("--json") { Description = "Print the finished backup as JSON (as `info --json`)" };
        var command = new Command("backup", "Take a backup of the cluster from its healthiest replica") { policyOption, type, retry, json };
        command.SetAction((parse, ct) => CommandRunner.Guard(async (log, token) =>
        {
            var policy = PolicyOption.Load(parse, policyOption);
            var retries = parse.GetValue(retry) ?? policy.Backup.Retries;
            var manifest = await TransferProgress.RunAsync("backup", log,
                progress => new BackupRun(policy, log, progress).RunAsync(BackupTypeNames.Parse(parse.GetValue(type)!) ?? policy.Backup.Type, retries, token));
            if (parse.GetValue(json)) Output.WriteJson(BackupSummary.Of(manifest), PgBackupJson.Default.BackupSummary);
            else Console.Out.WriteLine($"backup {manifest.Id} ({Describe(manifest)}) complete: {ByteSize.Format(manifest.DatabaseSize)} from {manifest.Source.Member}, " +
                $"stored {ByteSize.Format(manifest.StoredSize)} in {(manifest.EndTime - manifest.StartTime).TotalSeconds:0.0}s, LSN {manifest.StartLsn} to {manifest.EndLsn}, timeline {manifest.Timeline}");
            return 0;
        }, ct));
        return command;
    }

    private static string Describe(BackupManifest m) => m.Reference is { } r ? $"{m.Type.Name()} on {r}" : m.Type.Name();
}
