using System.CommandLine;
using PgBackup.Cli.Hosting;
using PgBackup.Cli.Rendering;
using PgBackup.Errors;
using PgBackup.Restore;
using PgBackup.TableRecovery;

namespace PgBackup.Cli.Commands;

/// <summary>
/// `pgbackup restore-table`: undo a bad statement on a few tables without touching the rest of the
/// cluster — recover a scratch copy to a point before it and bring the tables back from there,
/// under new names into the live database (one transaction), or as a dump file.
/// </summary>
internal static class RestoreTableCommand
{
    public static Command Create()
    {
        var policyOption = PolicyOption.Create();
        var points = new RecoveryPointOptions();
        var tables = new Option<string[]>("--table") { Description = "[schema.]table to restore (repeatable)", Required = true };
        var database = new Option<string>("--database") { Description = "Database the tables are in", DefaultValueFactory = _ => "postgres" };
        var into = new Option<string?>("--into") { Description = "libpq connection string of the live database to load them into (host, port and database default to the Patroni leader and --database; the password comes from ~/.pgpass or PGPASSWORD)" };
        var toFile = new Option<string?>("--to-file") { Description = "Write the tables as a plain SQL dump to this new file instead" };
        var asPattern = new Option<string?>("--as") { Description = "Restore under this name, * standing for each table's own (e.g. recovered_*); needed while the table still exists" };
        var replace = new Option<bool>("--replace") { Description = "Drop a destination that exists and load in its place, in the same transaction" };
        var withDependents = new Option<bool>("--with-dependents") { Description = "Also restore the views on the tables (and views of those), renamed by --as like the tables" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the plan and check the destinations, then stop" };
        var scratch = new Option<string?>("--scratch") { Description = "Empty or new directory for the scratch copy (default: a new one under the temp directory)" };
        var dbUser = new Option<string?>("--db-user") { Description = "Role that reads the scratch copy over its Unix socket (default: the server's OS user)" };
        var pgBin = new Option<string?>("--pg-bin") { Description = "Directory of pg_ctl, postgres, pg_dump and psql (default: pg_config --bindir, then /usr/lib/postgresql/MAJOR/bin)" };
        var osUser = new Option<string?>("--os-user") { Description = "When run as root: the user the scratch server runs as (default postgres)" };
        var command = new Command("restore-table", "Bring tables back from a point in time, into the live database under new names or as a dump file")
            { policyOption, tables, database, into, toFile, asPattern, replace, withDependents, dryRun, scratch, dbUser, pgBin, osUser };
        foreach (var option in points.All) command.Options.Add(option);
        command.SetAction((parse, ct) => CommandRunner.Guard(async (log, token) =>
        {
            var policy = PolicyOption.Load(parse, policyOption);
            if (points.Given(parse) is { Count: not 1 } given)
                throw new UsageException(given.Count == 0
                    ? "give the point to restore the tables as they were at: --time, --lsn, --xid or --name (before the bad statement)"
                    : $"give one recovery target, not {string.Join(" and ", given)}");
            var target = points.Point(parse, RecoveryTargetAction.Promote)!;
            if ((parse.GetValue(into) is null) == (parse.GetValue(toFile) is null))
                throw new UsageException("give --into CONNINFO (load into the live database) or --to-file FILE (write a dump), one of them");
            var names = parse.GetValue(tables)!.Select(TableName.Parse).ToList();
            var pattern = parse.GetValue(asPattern) is { } p ? TableName.ParsePattern(p, names.Count) : null;
            var serverUser = ServerUser.Of(parse, osUser);
            if (parse.GetValue(replace) && parse.GetValue(into) is null)
                throw new UsageException("--replace only applies to --into (a dump file replaces nothing)");
            var options = new TableRestoreOptions(target, parse.GetValue(database)!, names, pattern, parse.GetValue(replace), parse.GetValue(withDependents), parse.GetValue(into), parse.GetValue(toFile),
                parse.GetValue(dryRun), parse.GetValue(scratch), WalFetchInvocation.RestoreCommand(policy.SourceFile, serverUser), serverUser,
                parse.GetValue(dbUser) ?? serverUser ?? Environment.UserName, parse.GetValue(pgBin));

            var result = await TransferProgress.RunAsync("restore-table", log,
                progress => new TableRestoreRun(policy, log, progress).RunAsync(options, plan => WritePlan(plan, options, names, pattern), token));
            if (result.Recovery is null)
            {
                Console.Out.WriteLine($"dry run: the destinations are free in {result.Destination}; nothing was restored");
                return 0;
            }
            Console.Out.WriteLine($"point reached: {result.Recovery.StopReason ?? result.Plan.Target.Describe()} (last transaction {result.Recovery.LastTransactionTime ?? "none after the backup"}); {(options.ToFile is null ? "loaded into" : "written to")} {result.Destination}:");
            foreach (var t in result.Restored!.Tables)
            {
                Console.Out.WriteLine($"  {t.Source} -> {t.Destination}: {t.Rows} rows");
                foreach (var key in t.DroppedForeignKeys)
                    Console.Out.WriteLine($"    foreign key not restored (its referenced rows have moved on since): {key}");
            }
            foreach (var v in result.Restored.Views)
                Console.Out.WriteLine($"  {v.Kind.ToLowerInvariant()} {v.Source} -> {v.Destination}");
            return 0;
        }, ct));
        return command;
    }

    private static void WritePlan(RestorePlan plan, TableRestoreOptions options, IReadOnlyList<TableName> names, string? pattern)
    {
        RestorePlanOutput.Write(plan);
        Console.Out.WriteLine($"  tables      {string.Join(", ", names.Select(n => n.Renamed(pattern) == n ? n.ToString() : $"{n} as {n.Renamed(pattern)}"))} of database {options.Database}");
        Console.Out.WriteLine($"  into        {(options.Into is { } into ? $"the live database '{into}', in one transaction{(options.Replace ? ", dropping the tables it replaces" : "")}" : $"the new file {Path.GetFullPath(options.ToFile!)}")}");
    }
}
