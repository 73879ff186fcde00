using System.CommandLine;
using System.Globalization;
using PgBackup.Cli.Hosting;
using PgBackup.Cli.Rendering;
using PgBackup.Errors;
using PgBackup.Policies;
using PgBackup.Restore;

namespace PgBackup.Cli.Commands;

/// <summary>`pgbackup restore`: write a backup into an empty directory so PostgreSQL starts on it.</summary>
internal static class RestoreCommand
{
    public static Command Create()
    {
        var policyOption = PolicyOption.Create();
        var backup = new Option<string>("--backup") { Description = "Backup id (from `pgbackup list`) or 'latest'", DefaultValueFactory = _ => "latest" };
        var pgData = new Option<string>("--pgdata") { Description = "Empty or new directory to restore into", Required = true };
        var tablespaceMap = new Option<string[]>("--tablespace-map") { Description = "OID=DIR: restore a tablespace into DIR instead of its original location (repeatable)", AllowMultipleArgumentsPerToken = false };
        var port = new Option<int>("--port") { Description = "Port the restored server will listen on", DefaultValueFactory = _ => 5432 };
        var command = new Command("restore", "Restore a backup into an empty directory") { policyOption, backup, pgData, tablespaceMap, port };
        command.SetAction((parse, ct) => CommandRunner.Guard(async (log, token) =>
        {
            var policy = PolicyOption.Load(parse, policyOption);
            var options = new RestoreOptions(parse.GetRequiredValue(backup), parse.GetRequiredValue(pgData),
                ParseTablespaceMap(parse.GetValue(tablespaceMap) ?? []), ValidPort(parse.GetValue(port)));
            var result = await TransferProgress.RunAsync("restore", log, progress => new RestoreRun(policy, log, progress).RunAsync(options, token));
            Console.Out.WriteLine($"restored backup {result.Backup.Id} ({ByteSize.Format(result.BytesWritten)}) into {result.PgData} in {result.Duration.TotalSeconds:0.0}s");
            Console.Out.WriteLine($"start it with: pg_ctl -D {result.PgData} start   (as the owner of the directory; it listens on port {options.Port})");
            return 0;
        }, ct));
        return command;
    }

    private static int ValidPort(int port) =>
        port is > 0 and < 65536 ? port : throw new UsageException($"--port {port} is not a TCP port; give 1 to 65535");

    private static Dictionary<uint, string> ParseTablespaceMap(string[] items)
    {
        var map = new Dictionary<uint, string>();
        foreach (var item in items)
        {
            var eq = item.IndexOf('=');
            if (eq <= 0 || !uint.TryParse(item.AsSpan(0, eq), NumberStyles.None, CultureInfo.InvariantCulture, out var oid) || eq == item.Length - 1)
                throw new UsageException($"--tablespace-map '{item}' is not OID=DIR (e.g. 16385=/srv/ts1); `pgbackup info ID` lists the OIDs");
            if (!map.TryAdd(oid, item[(eq + 1)..]))
                throw new UsageException($"--tablespace-map names tablespace {oid} twice");
        }
        return map;
    }
}
