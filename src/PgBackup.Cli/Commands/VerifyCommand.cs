using System.CommandLine;
using PgBackup.Backup;
using PgBackup.Cli.Hosting;
using PgBackup.Errors;
using PgBackup.Policies;
using PgBackup.Verify;

namespace PgBackup.Cli.Commands;

/// <summary>
/// `pgbackup verify`: re-reads a backup (default the newest; an id; or --all) and the archived WAL
/// its window needs. Every fault is printed on stdout; any fault exits 4 with one summarising line.
/// </summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var policyOption = PolicyOption.Create();
        var id = new Argument<string?>("id") { Description = "Backup id to verify (default: the newest)", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "Verify every complete backup" };
        var json = new Option<bool>("--json") { Description = "Print the reports as JSON" };
        var command = new Command("verify", "Re-read a backup and the WAL its window needs: checksums, decompression, continuity") { policyOption, id, all, json };
        command.SetAction((parse, ct) => CommandRunner.Guard(async (_, token) =>
        {
            if (parse.GetValue(all) && parse.GetValue(id) is not null)
                throw new UsageException("give a backup id or --all, not both");
            var policy = PolicyOption.Load(parse, policyOption);
            using var repository = policy.OpenRepository();
            var backups = parse.GetValue(all)
                ? await BackupCatalog.ListCompleteAsync(repository, token)
                : [await BackupCatalog.ResolveAsync(repository, parse.GetValue(id) ?? "latest", token)];
            var reports = new List<VerifyReport>();
            foreach (var backup in backups)
            {
                var report = await new BackupVerifier(repository).VerifyAsync(backup, token);
                reports.Add(report);
                if (!parse.GetValue(json)) Render(report);
            }
            if (parse.GetValue(json)) Output.WriteJson(reports);
            var faults = reports.SelectMany(r => r.Faults).ToList();
            if (faults.Count == 0) return 0;
            var bad = reports.Where(r => !r.Ok).Select(r => r.BackupId).ToList();
            throw new RepositoryException($"verify found {faults.Count} fault(s) in backup {string.Join(", ", bad)} (listed above), first {faults[0]}; " +
                "a damaged backup cannot be trusted to restore: take a new backup, and expire the damaged one once a newer one verifies");
        }, ct));
        return command;
    }

    private static void Render(VerifyReport r)
    {
        var wal = r.WalTo is null ? "no archived WAL past its end" : $"{r.ArchivedWalSegments} archived WAL segment(s) up to {r.WalTo}";
        Console.Out.WriteLine($"backup {r.BackupId}: {r.Packs} pack(s), {r.Files} file(s), {r.BackupWalSegments} WAL segment(s) of its own, {wal}; " +
            $"{ByteSize.Format(r.BytesRead)} read in {r.Duration.TotalSeconds:0.0}s: {(r.Ok ? "ok" : $"{r.Faults.Count} FAULT(S)")}");
        foreach (var f in r.Faults)
            Console.Out.WriteLine($"  FAULT {f}");
    }
}
