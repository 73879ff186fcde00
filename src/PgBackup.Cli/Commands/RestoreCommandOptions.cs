using System.CommandLine;
using System.Globalization;
using PgBackup.Cli.Hosting;
using PgBackup.Errors;
using PgBackup.Restore;

namespace PgBackup.Cli.Commands;

/// <summary>The options of `pgbackup restore`, and their translation into a recovery target.</summary>
internal sealed class RestoreCommandOptions
{
    public readonly Option<string?> Backup = new("--backup") { Description = "Backup id or 'latest' (default: the newest backup that ends before the target)" };
    public readonly Option<string?> PgData = new("--pgdata") { Description = "Empty or new directory to restore into" };
    public readonly RecoveryPointOptions Points = new();
    public readonly Option<bool> Latest = new("--latest") { Description = "Recover all archived WAL (the default)" };
    public readonly Option<bool> Immediate = new("--immediate") { Description = "Stop as soon as the backup is consistent" };
    public readonly Option<int?> Timeline = ValidatedOption.OptionalWholeNumber("--timeline", 1, int.MaxValue, "a timeline number (as `pgbackup list` shows it)",
        "Recovery target timeline (default: the newest archived, so targets after a failover land on it)");
    public readonly Option<string> Action = ValidatedOption.OneOf("--target-action", "promote", ["promote", "pause", "shutdown"], "At the target: promote, pause or shutdown");
    public readonly Option<bool> DryRun = new("--dry-run") { Description = "Print the plan (backup, timelines, WAL, bytes, time) and stop" };
    public readonly Option<bool> Delta = new("--delta") { Description = "Restore over an earlier copy: keep files whose checksum matches, rewrite the rest" };
    public readonly Option<string[]> TablespaceMap = new("--tablespace-map") { Description = "OID=DIR: restore a tablespace into DIR (repeatable)" };
    public readonly Option<int> Port = ValidatedOption.WholeNumber("--port", 1, 65535, 5432, "a TCP port", "Port of the restored server (default 5432)");
    public readonly Option<bool> Start = new("--start") { Description = "Start PostgreSQL, wait until recovery ends, and report the point reached" };
    public readonly Option<bool> StopAfter = new("--stop-after") { Description = "With --start: stop the server after reporting" };
    public readonly Option<string?> PgBin = new("--pg-bin") { Description = "Directory of pg_ctl/postgres (default: pg_config --bindir, then /usr/lib/postgresql/MAJOR/bin)" };
    public readonly Option<string?> OsUser = new("--os-user") { Description = "When run as root: the user the server runs as (default postgres)" };
    public readonly Option<string?> RestoreCommand = new("--restore-command") { Description = "restore_command for the restored server (default: pgbackup wal-fetch with this policy)" };
    public readonly Option<bool> Standby = new("--standby") { Description = "Join as a streaming replica: standby.signal, no recovery target, primary_conninfo and port left to Patroni" };

    public IEnumerable<Option> All =>
    [
        Backup, PgData, .. Points.All, Latest, Immediate, Timeline, Action, DryRun, Delta,
        TablespaceMap, Port, Start, StopAfter, PgBin, OsUser, RestoreCommand, Standby,
    ];

    public RecoveryTarget Target(ParseResult parse)
    {
        if (parse.GetValue(Standby))
            return StandbyTarget(parse);
        var given = Points.Given(parse).Concat(new (string Flag, bool Set)[] { ("--latest", parse.GetValue(Latest)), ("--immediate", parse.GetValue(Immediate)) }
            .Where(g => g.Set).Select(g => g.Flag)).ToList();
        if (given.Count > 1)
            throw new UsageException($"give one recovery target, not {string.Join(" and ", given)}");
        var action = parse.GetValue(Action) switch
        {
            "promote" => RecoveryTargetAction.Promote,
            "pause" => RecoveryTargetAction.Pause,
            _ => RecoveryTargetAction.Shutdown,
        };
        // With --immediate or --latest no point is given, but Point still refuses a stray --tz or --exclusive.
        var point = Points.Point(parse, action);
        if (parse.GetValue(Immediate))
            return RecoveryTarget.Immediate(action);
        return point
            ?? (action == RecoveryTargetAction.Promote ? RecoveryTarget.Latest() : throw new UsageException("--target-action needs a target; recovering all WAL always promotes"));
    }

    /// <summary>Options that choose where recovery stops or how the server runs after it: a standby does neither.</summary>
    private IEnumerable<Option> NotWithStandby => [.. Points.All, Latest, Immediate, Timeline, Action, Port, Start, StopAfter, PgBin];

    private RecoveryTarget StandbyTarget(ParseResult parse)
    {
        var given = NotWithStandby.Where(option => parse.GetResult(option) is { Implicit: false }).Select(option => option.Name).ToList();
        if (given.Count > 0)
            throw new UsageException($"--standby cannot be combined with {string.Join(" or ", given)}: a standby has no recovery target and keeps its own configuration; it replays the archived WAL, then follows its primary");
        return RecoveryTarget.Standby();
    }

    public Dictionary<uint, string> TablespaceMapOf(ParseResult parse)
    {
        var map = new Dictionary<uint, string>();
        foreach (var item in parse.GetValue(TablespaceMap) ?? [])
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
