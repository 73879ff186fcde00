using System.CommandLine;
using PgBackup.Cli.Hosting;
using PgBackup.Cli.Json;
using PgBackup.Errors;
using PgBackup.Policies;
using PgBackup.Verify;

namespace PgBackup.Cli.Commands;

/// <summary>
/// `pgbackup verify`: checks the repository's own objects, then re-reads a backup (default the
/// newest; an id; or --all) and the archived WAL its window needs (<see cref="VerifyRun"/>). Every
/// fault is printed on stdout; any fault exits 4 with one summarising line.
/// </summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var policyOption = PolicyOption.Create();
        var id = new Argument<string?>("id") { Description = "Backup id to verify (default: the newest)", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "Verify every complete backup" };
        var jsonOption = new Option<bool>("--json") { Description = "Print the reports as JSON" };
        var command = new Command("verify", "Check every stored object against its checksum: the repository's own objects, then a backup and the WAL its window needs") { policyOption, id, all, jsonOption };
        command.SetAction((parse, ct) => CommandRunner.Guard(async (_, token) =>
        {
            if (parse.GetValue(all) && parse.GetValue(id) is not null)
                throw new UsageException("give a backup id or --all, not both");
            var policy = PolicyOption.Load(parse, policyOption);
            using var repository = policy.OpenRepository();
            var json = parse.GetValue(jsonOption);
            var outcome = await VerifyRun.RunAsync(repository, parse.GetValue(id) ?? "latest", parse.GetValue(all),
                json ? null : Render, json ? null : Render, token);
            if (json) Output.WriteJson(outcome, PgBackupJson.Default.VerifyOutcome);
            var faults = outcome.Faults;
            if (faults.Count == 0) return 0;
            var bad = outcome.Backups.Where(r => !r.Ok).Select(r => $"backup {r.BackupId}").Prepend(outcome.Repository.Ok ? null : "the repository's own objects").OfType<string>();
            throw new RepositoryException($"verify found {faults.Count} fault(s) in {string.Join(", ", bad)} (listed above), first {faults[0]}; " +
                "a damaged backup cannot be trusted to restore: take a new backup, and expire the damaged one once a newer one verifies");
        }, ct));
        return command;
    }

    private static void Render(RepositoryReport r)
    {
        var wal = r.PartialSegments + r.HistoryFiles > 0 ? $", {r.PartialSegments} partial segment(s), {r.HistoryFiles} history file(s)" : "";
        Console.Out.WriteLine($"repository: repo.json, {r.Manifests} manifest(s), {r.Leases} lease(s), {r.DrillReports} drill report(s){wal}; " +
            $"{ByteSize.Format(r.BytesRead)} read in {r.Duration.TotalSeconds:0.0}s: {Verdict(r.Faults.Count)}");
        RenderFindings(r.Faults, r.Unchecked);
    }

    private static void Render(VerifyReport r)
    {
        var wal = r.WalTo is null ? "no archived WAL past its end" : $"{r.ArchivedWalSegments} archived WAL segment(s) up to {r.WalTo}";
        Console.Out.WriteLine($"backup {r.BackupId}: {r.Packs} pack(s), {r.Files} file(s), {r.BackupWalSegments} WAL segment(s) of its own, {wal}; " +
            $"{ByteSize.Format(r.BytesRead)} read in {r.Duration.TotalSeconds:0.0}s: {Verdict(r.Faults.Count)}");
        RenderFindings(r.Faults, r.Unchecked);
    }

    private static string Verdict(int faults) => faults == 0 ? "ok" : $"{faults} FAULT(S)";

    private static void RenderFindings(IReadOnlyList<VerifyFault> faults, IReadOnlyList<string> noChecksum)
    {
        foreach (var f in faults)
            Console.Out.WriteLine($"  FAULT {f}");
        // Not a fault: written before objects carried checksums, so only zstd's frame checksum (or nothing, for JSON) covers them.
        if (noChecksum.Count > 0)
            Console.Out.WriteLine($"  unchecked (written by an older version, no checksum of its own): {noChecksum.Count} object(s): " +
                string.Join(", ", noChecksum.Take(5)) + (noChecksum.Count > 5 ? ", …" : ""));
    }
}
