using System.CommandLine;
using Microsoft.Extensions.Logging;
using PgBackup.Cli.Hosting;
using PgBackup.Policies;
using PgBackup.Wal;

namespace PgBackup.Cli.Commands;

/// <summary>`pgbackup wal-push PATH`: archive_command. Exit 0 only once the file is durable in the repository.</summary>
internal static class WalPushCommand
{
    public static Command Create()
    {
        var policyOption = PolicyOption.Create();
        var path = new Argument<string>("PATH") { Description = "The WAL file to archive (%p in archive_command)" };
        var timeout = RepositoryDeadline.Create(60);
        var command = new Command("wal-push", "Archive one WAL segment, .partial or .history file (for archive_command)") { path, policyOption, timeout };
        command.SetAction((parse, ct) => CommandRunner.Guard(async (log, token) =>
        {
            var policy = PolicyOption.Load(parse, policyOption);
            using var repository = policy.OpenRepository();
            var file = parse.GetRequiredValue(path);
            var outcome = await RepositoryDeadline.RunAsync(parse.GetValue(timeout), $"archiving {Path.GetFileName(file)} to {repository.Describe}",
                t => new WalPush(repository, log).PushAsync(file, t), token);
            log.LogInformation("{Outcome}", outcome);
            return 0;
        }, ct));
        return command;
    }
}
