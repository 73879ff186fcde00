using System.CommandLine;
using PgBackup.Cli.Hosting;
using PgBackup.Cli.Json;
using PgBackup.Policies;
using PgBackup.Repository.Catalog;

namespace PgBackup.Cli.Commands;

/// <summary>`pgbackup info ID`: one backup in detail.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var policyOption = PolicyOption.Create();
        var id = new Argument<string>("ID") { Description = "Backup id (from `pgbackup list`) or 'latest'" };
        var json = new Option<bool>("--json") { Description = "Print as JSON" };
        var command = new Command("info", "Show one backup in detail") { policyOption, id, json };
        command.SetAction((parse, ct) => CommandRunner.Guard(async (_, token) =>
        {
            var policy = PolicyOption.Load(parse, policyOption);
            using var repository = policy.OpenRepository();
            var m = await BackupCatalog.ResolveAsync(repository, parse.GetRequiredValue(id), token);
            var complete = BackupChain.ById(await BackupCatalog.ListCompleteAsync(repository, token));
            var s = BackupSummary.Of(m, complete);
            var chain = BackupChain.Of(m, complete);
            if (parse.GetValue(json))
            {
                Output.WriteJson(BackupInfoJson.Of(s, m), PgBackupJson.Default.BackupInfoJson);
                return 0;
            }
            Console.Out.WriteLine($"""
                backup      {m.Id} ({s.Status})
                type        {Describe(m, chain)}
                cluster     {m.Cluster} (system {m.SystemIdentifier}, PostgreSQL {m.ServerVersionNum})
                source      {m.Source.Member} ({m.Source.Host}:{m.Source.Port})
                started     {m.StartTime:u}   LSN {m.StartLsn}
                ended       {m.EndTime:u}   LSN {m.EndLsn}
                timeline    {m.Timeline}
                duration    {s.DurationSeconds:0.0}s at {s.RateMBps:0.0} MB/s
                data        {ByteSize.Format(m.DatabaseSize)} in {m.Files.Count} entries, {m.Tablespaces.Count} extra tablespace(s)
                stored      {ByteSize.Format(m.StoredSize)} ({m.Compression} level {m.CompressionLevel}, {m.Packs.Count} packs, {m.Wal.Count} WAL segments)
                WAL         {string.Join(", ", m.Wal.Select(w => w.FileName))}
                made by     pgbackup {m.ToolVersion}
                """);
            return 0;
        }, ct));
        return command;
    }

    /// <summary>"full", or "incr on X; a restore reads 3 backups: A ← B ← C".</summary>
    private static string Describe(BackupManifest m, IReadOnlyList<BackupManifest>? chain) =>
        m.Reference is not { } reference ? m.Type.Name()
            : $"{m.Type.Name()} on {reference}; " + (chain is null
                ? "its chain is broken (a backup it builds on is gone): it cannot be restored"
                : $"a restore reads {chain.Count} backups: {string.Join(" ← ", chain.Reverse().Select(b => b.Id))}");
}
