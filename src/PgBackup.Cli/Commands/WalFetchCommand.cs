using System.CommandLine;
using PgBackup.Cli.Hosting;
using PgBackup.Policies;
using PgBackup.Wal;

namespace PgBackup.Cli.Commands;

/// <summary>
/// `pgbackup wal-fetch NAME DEST`: restore_command (after the restore's spool). A segment pg_wal holds is handed
/// over from there (<see cref="RestoredSegment"/>); a file the archive does not hold exits 1 with one
/// line, which PostgreSQL reads as "not archived" (it asks for such files routinely).
/// </summary>
internal static class WalFetchCommand
{
    public const int NotArchived = 1;

    public static Command Create()
    {
        var policyOption = PolicyOption.Create();
        var name = new Argument<string>("NAME") { Description = "The file PostgreSQL asks for (%f): a segment, NAME.partial or TLI.history" };
        var destination = new Argument<string>("DEST") { Description = "Where to write it (%p)" };
        var timeout = RepositoryDeadline.Create(120);
        var command = new Command("wal-fetch", "Fetch one archived WAL file (for restore_command)") { name, destination, policyOption, timeout };
        command.SetAction((parse, ct) => CommandRunner.Guard(async (log, token) =>
        {
            var file = parse.GetRequiredValue(name);
            // A segment pg_wal holds needs neither the policy nor the repository.
            if (RestoredSegment.TryTake(file, parse.GetRequiredValue(destination)))
                return 0;
            var policy = PolicyOption.Load(parse, policyOption);
            using var repository = policy.OpenRepository();
            var found = await RepositoryDeadline.RunAsync(parse.GetValue(timeout), $"fetching {file} from {repository.Describe}",
                t => new WalFetch(repository).FetchAsync(file, parse.GetRequiredValue(destination), t), token);
            if (found)
                return 0;
            Console.Error.WriteLine($"wal-fetch: {file} is not in the archive ({repository.Describe})");
            return NotArchived;
        }, ct));
        return command;
    }
}
