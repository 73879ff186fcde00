using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using PgBackup.Cli.Hosting;
using PgBackup.Policies;
using PgBackup.Wal;

namespace PgBackup.Cli.Commands;

/// <summary>
/// `pgbackup archive`: runs the WAL archiver in the foreground until Ctrl+C or SIGTERM, printing a
/// status line whenever the source, timeline, state or errors change, and every status interval.
/// </summary>
internal static class ArchiveCommand
{
    public static Command Create()
    {
        var policyOption = PolicyOption.Create();
        var statusInterval = ValidatedOption.WholeNumber("--status-interval", 1, 86_400, 30, "a number of seconds",
            "Print a status line at least this often, in seconds (default 30)");
        var command = new Command("archive", "Stream WAL continuously from the healthiest replica into the repository, following failovers") { policyOption, statusInterval };
        command.SetAction((parse, ct) => CommandRunner.Guard(async (log, token) =>
        {
            var policy = PolicyOption.Load(parse, policyOption);
            using var repository = policy.OpenRepository();
            var archiver = new WalArchiver(policy, repository, log);
            // SIGTERM (systemd, docker stop, kill) and Ctrl+C stop cleanly: the last partial goes up first.
            // A long-running verb handles them itself (CommandRunner leaves them to it), so no other handler races this one.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
            void Stop(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Cancel();
            }
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            Console.Out.WriteLine($"archiving WAL of cluster '{policy.Cluster}' into {repository.Describe} (slot {archiver.SlotName}); Ctrl+C stops");
            var run = archiver.RunAsync(stop.Token);
            await PrintStatusAsync(archiver, run, TimeSpan.FromSeconds(parse.GetValue(statusInterval)), log).ConfigureAwait(false);
            await run.ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }

    private static async Task PrintStatusAsync(WalArchiver archiver, Task run, TimeSpan interval, ILogger log)
    {
        WalArchiverStatus? printed = null;
        var printedAt = DateTimeOffset.MinValue;
        while (!run.IsCompleted)
        {
            await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
            var s = archiver.Status;
            var changed = printed is null || s.State != printed.State || s.SourceMember != printed.SourceMember
                || s.Timeline != printed.Timeline || s.LastError != printed.LastError || s.Gaps.Count != printed.Gaps.Count;
            if (!changed && DateTimeOffset.UtcNow - printedAt < interval)
                continue;
            if (printed is not null && s.Gaps.Count > printed.Gaps.Count)
                log.LogError("WAL archive has a gap: {Gaps}", string.Join("; ", s.Gaps));
            Console.Out.WriteLine(Line(s));
            (printed, printedAt) = (s, DateTimeOffset.UtcNow);
        }
    }

    private static string Line(WalArchiverStatus status) => $"{DateTimeOffset.Now:HH:mm:ss} archive: {status}";
}
