using System.CommandLine;
using PgBackup.Errors;
using PgBackup.Restore;

namespace PgBackup.Cli.Commands;

/// <summary>
/// The options naming a point to recover to — a time, an LSN, a transaction id or a restore point —
/// shared by every verb that recovers a copy to one (`restore`, `restore-table`).
/// </summary>
internal sealed class RecoveryPointOptions
{
    public readonly Option<string?> Time = new("--time") { Description = "Recover to this time (ISO 8601 with a zone, e.g. 2026-11-27T14:05:00Z)" };
    public readonly Option<string?> Tz = new("--tz") { Description = "Time zone for a --time written without one (IANA name, e.g. Europe/Berlin)" };
    public readonly Option<string?> Lsn = new("--lsn") { Description = "Recover to this WAL location (e.g. 0/3000028)" };
    public readonly Option<string?> Xid = new("--xid") { Description = "Recover to this transaction id" };
    public readonly Option<string?> Name = new("--name") { Description = "Recover to this restore point (pg_create_restore_point)" };
    public readonly Option<bool> Exclusive = new("--exclusive") { Description = "Stop just before the target instead of just after it" };

    public IEnumerable<Option> All => [Time, Tz, Lsn, Xid, Name, Exclusive];

    /// <summary>The point options given on the command line, by flag.</summary>
    public IReadOnlyList<string> Given(ParseResult parse) => new (string Flag, bool Set)[]
    {
        ("--time", parse.GetValue(Time) is not null), ("--lsn", parse.GetValue(Lsn) is not null),
        ("--xid", parse.GetValue(Xid) is not null), ("--name", parse.GetValue(Name) is not null),
    }.Where(g => g.Set).Select(g => g.Flag).ToList();

    /// <summary>The point given (at most one, checked by the caller with <see cref="Given"/>), or null when none is.</summary>
    public RecoveryTarget? Point(ParseResult parse, RecoveryTargetAction action)
    {
        if (parse.GetValue(Tz) is not null && parse.GetValue(Time) is null)
            throw new UsageException("--tz only applies to --time");
        var exclusive = parse.GetValue(Exclusive);
        return Given(parse).FirstOrDefault() switch
        {
            "--time" => RecoveryTarget.AtTime(parse.GetValue(Time)!, parse.GetValue(Tz), exclusive, action),
            "--lsn" => RecoveryTarget.AtLsn(parse.GetValue(Lsn)!, exclusive, action),
            "--xid" => RecoveryTarget.AtXid(parse.GetValue(Xid)!, exclusive, action),
            "--name" => RecoveryTarget.AtName(parse.GetValue(Name)!, exclusive, action),
            _ => exclusive ? throw new UsageException("--exclusive needs a --time, --lsn, --xid or --name target") : null,
        };
    }
}
