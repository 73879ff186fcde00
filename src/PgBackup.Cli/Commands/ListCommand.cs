using System.CommandLine;
using System.Globalization;
using PgBackup.Cli.Hosting;
using PgBackup.Cli.Json;
using PgBackup.Policies;
using Spectre.Console;
using PgBackup.Repository.Catalog;

namespace PgBackup.Cli.Commands;

/// <summary>`pgbackup list`: the complete backups, oldest first (what a restore can use).</summary>
internal static class ListCommand
{
    public static Command Create()
    {
        var policyOption = PolicyOption.Create();
        var json = new Option<bool>("--json") { Description = "Print the list as JSON" };
        var all = new Option<bool>("--all") { Description = "Also show backups still running and leftovers of dead ones" };
        var command = new Command("list", "List the backups in the repository") { policyOption, json, all };
        command.SetAction((parse, ct) => CommandRunner.Guard(async (_, token) =>
        {
            var policy = PolicyOption.Load(parse, policyOption);
            using var repository = policy.OpenRepository();
            var entries = BackupSummary.Rows(await BackupCatalog.ListAsync(repository, token), parse.GetValue(all));
            if (parse.GetValue(json))
            {
                Output.WriteJson(entries, PgBackupJson.Default.IReadOnlyListBackupSummary);
                return 0;
            }
            if (entries.Count == 0)
            {
                Console.Out.WriteLine($"no backups in {repository.Describe}");
                return 0;
            }
            var table = new Table().Border(TableBorder.Simple);
            foreach (var h in new[] { "id", "status", "type", "on", "source", "started (UTC)", "duration", "TL", "start LSN", "end LSN", "data", "stored", "rate" })
                table.AddColumn(h);
            foreach (var s in entries)
                table.AddRow(s.Id, Markup.Escape(s.Status), s.Type ?? "", s.Reference ?? "", s.Source ?? "", s.StartTime?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "",
                    s.DurationSeconds is { } d ? $"{d:0.0}s" : "", s.Timeline?.ToString(CultureInfo.InvariantCulture) ?? "", s.StartLsn?.ToString() ?? "", s.EndLsn?.ToString() ?? "",
                    s.DatabaseSize is { } size ? ByteSize.Format(size) : "", ByteSize.Format(s.StoredSize), s.RateMBps is { } r ? $"{r:0.0} MB/s" : "");
            AnsiConsole.Write(table);
            return 0;
        }, ct));
        return command;
    }
}
