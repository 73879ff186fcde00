using Microsoft.Extensions.Logging;
using PgBackup.Cluster;
using PgBackup.Drill;
using PgBackup.Errors;
using PgBackup.IO;
using PgBackup.Policies;
using PgBackup.Restore;

namespace PgBackup.TableRecovery;

/// <param name="Into">libpq connection string of the live database to load into; null with <paramref name="ToFile"/>.</param>
/// <param name="ToFile">New file to write the dump (plain SQL) to; null with <paramref name="Into"/>.</param>
/// <param name="AsPattern">Destination name, * standing for each table's own; null keeps the names.</param>
/// <param name="Replace">Drop destinations that exist, in the load's transaction, instead of refusing them.</param>
/// <param name="WithDependents">Also restore the views on the tables (and views of those), renamed the same way.</param>
/// <param name="DbUser">The role that reads the scratch copy (over its Unix socket; the backup's pg_hba.conf decides).</param>
public sealed record TableRestoreOptions(RecoveryTarget Target, string Database, IReadOnlyList<TableName> Tables, string? AsPattern, bool Replace,
    bool WithDependents, string? Into, string? ToFile, bool DryRun, string? Scratch, string RestoreCommand, string? OsUser, string DbUser, string? PgBin);

/// <param name="Restored">Null for a dry run.</param>
/// <param name="Destination">The file written, or where the tables were loaded.</param>
public sealed record TableRestoreResult(RestorePlan Plan, IReadOnlyList<(TableName Source, TableName Destination)> Names, string Destination,
    RecoveryOutcome? Recovery, RestoredObjects? Restored);

/// <summary>
/// `pgbackup restore-table`, top-down, as an operator undoes a bad statement by hand: plan the
/// restore to the target, refuse destinations the live database already has (before anything is
/// restored), restore into a scratch directory, recover to the target and start the copy on a free
/// port, find the tables there and shape them (<see cref="ScratchTables"/>), pg_dump them, then
/// load the dump into the live database in one transaction (with --replace, dropping the tables it
/// replaces in that same transaction), or write it to a file; check the rows arrived, and remove
/// the scratch copy whatever happened.
/// </summary>
public sealed class TableRestoreRun(Policy policy, ILogger log, IProgress<CopyProgress>? progress = null)
{
    private const string ScratchPrefix = "pgbackup-table-";
    private static readonly TimeSpan RecoveryTimeout = TimeSpan.FromHours(2);

    /// <param name="showPlan">Called with the plan before anything is restored.</param>
    public async Task<TableRestoreResult> RunAsync(TableRestoreOptions options, Action<RestorePlan> showPlan, CancellationToken ct)
    {
        ScratchCopy.RemoveAbandoned(ScratchPrefix, options.PgBin, options.OsUser, log);
        var names = options.Tables.Select(t => (Source: t, Destination: t.Renamed(options.AsPattern))).ToList();
        if (names.GroupBy(n => n.Destination).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new UsageException($"{string.Join(" and ", twice.Select(n => n.Source))} would both be restored as {twice.Key}");
        if (options.ToFile is { } file && (File.Exists(file) || Directory.Exists(file)))
            throw new UsageException($"--to-file {file} exists; give a new file name (nothing is overwritten)");

        RestorePlan plan;
        using (var repository = policy.OpenRepository())
            plan = await new RestorePlanner(repository).PlanAsync(options.Target, null, null, ct).ConfigureAwait(false);
        var pgBin = RecoveredServer.FindBinaries(options.PgBin, plan.Backup.ServerVersionNum / 10000);
        var live = options.Into is { } into ? await ConnectLiveAsync(pgBin, into, options.Database, ct).ConfigureAwait(false) : null;
        var destination = live?.Describe ?? Path.GetFullPath(options.ToFile!);
        showPlan(plan);
        live?.RequireFree(names.Select(n => n.Destination).ToList(), options.Replace);
        if (options.DryRun)
            return new TableRestoreResult(plan, names, destination, null, null);

        var scratch = ScratchCopy.Create(options.Scratch, ScratchPrefix);
        RecoveredServer? server = null;
        try
        {
            RequireSpace(scratch, plan);
            log.LogInformation("Restoring backup {Backup} to {Target} into {Scratch}, server on port {Port}", plan.Backup.Id, plan.Target.Describe(), scratch.Directory, scratch.Port);
            var restoreOptions = new RestoreOptions(plan.Backup.Id, plan.Target, plan.Timeline, scratch.PgData, scratch.TablespaceMap(plan.Backup),
                scratch.Port, Delta: false, options.RestoreCommand, ServerUser: options.OsUser);
            var restored = await new RestoreRun(policy, log, progress).RunAsync(restoreOptions, ct, plan).ConfigureAwait(false);

            server = new RecoveredServer(pgBin, restored.PgData, scratch.Port, options.OsUser);
            var recovery = await server.StartAsync([scratch.Directory], RecoveryTimeout, ct).ConfigureAwait(false);
            if (recovery.End != RecoveryEnd.Promoted)
                throw new OperationFailedException($"recovery of the scratch copy ended {recovery.End.ToString().ToLowerInvariant()}: {recovery.Failure ?? recovery.StopReason}; the scratch copy and its log are removed now: run `pgbackup restore --start` with the same target into a directory of your own to look at it");
            var checks = new RestoredServerChecks(server, pgBin, scratch.Port, options.DbUser);
            if (await checks.WaitUsableAsync(ct).ConfigureAwait(false) is null)
                throw new OperationFailedException($"the scratch copy did not answer as {options.DbUser} over /tmp port {scratch.Port}; give --db-user a role the backup's pg_hba.conf lets in over the local socket");

            var objects = await new ScratchTables(checks, options.Database).PrepareAsync(names, options.AsPattern, options.WithDependents, ct).ConfigureAwait(false);
            var dump = Dump(server, pgBin, scratch, options, objects);
            if (live is null)
                WriteFile(dump, options.ToFile!);
            else
                LoadAndCheck(live, dump, objects, options.Replace);
            return new TableRestoreResult(plan, names, destination, recovery, objects);
        }
        finally
        {
            scratch.CleanUp(server, log, "restore-table");
        }
    }

    /// <summary>The live database, its host defaulting to the Patroni leader (none found is no error: the connection string may name the host).</summary>
    private async Task<LiveDatabase> ConnectLiveAsync(string pgBin, string into, string database, CancellationToken ct)
    {
        ClusterMember? leader = null;
        try
        {
            using var patroni = new PatroniClient(policy.Patroni, log);
            leader = (await patroni.GetClusterAsync(ct).ConfigureAwait(false)).Leader;
        }
        catch (Exception e) when (e is PgBackupException or HttpRequestException)
        {
            log.LogWarning("Could not ask Patroni for the leader ({Error}); --into must name the host", e.Message);
        }
        return new LiveDatabase(pgBin, into, database, leader?.Host, leader?.Port);
    }

    /// <summary>The restore needs the data directory and the WAL up to the target on the scratch file system, checked before writing any of it.</summary>
    private static void RequireSpace(ScratchCopy scratch, RestorePlan plan)
    {
        var need = plan.Backup.DatabaseSize + (plan.WalSegments + 1) * plan.Backup.WalSegmentSize;
        var free = new DriveInfo(scratch.Directory).AvailableFreeSpace;
        if (free < need)
            throw new UsageException($"the scratch directory {scratch.Directory} has {free >> 20} MiB free, the restore needs about {need >> 20} MiB (data directory and WAL to the target); give --scratch a larger file system");
    }

    /// <summary>pg_dump of the shaped tables (plain SQL), run as the server's user into the scratch directory.</summary>
    private static string Dump(RecoveredServer server, string pgBin, ScratchCopy scratch, TableRestoreOptions options, RestoredObjects restored)
    {
        var dump = Path.Combine(scratch.Directory, "tables.sql");
        string[] args = ["--host", "/tmp", "--port", scratch.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--username", options.DbUser,
            "--no-password", "--dbname", options.Database, "--file", dump, "--strict-names",
            // Quoted, so no part of a name is read as a wildcard.
            .. restored.Destinations.SelectMany(d => new[] { "--table", d.Sql })];
        var (code, output) = server.RunAsServerUser(Path.Combine(pgBin, "pg_dump"), args);
        if (code != 0)
            throw new OperationFailedException($"pg_dump of the recovered tables failed: {output.Trim().Split('\n').LastOrDefault()}");
        return dump;
    }

    private static void WriteFile(string dump, string file)
    {
        // The table's rows: readable by this user only, like pg_dump's own output under a umask of 077.
        using (var target = new FileStream(file, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        using (var source = File.OpenRead(dump))
        {
            source.CopyTo(target);
            target.Flush(flushToDisk: true);
        }
        DirectorySync.Flush(Path.GetDirectoryName(Path.GetFullPath(file))!);
    }

    private static void LoadAndCheck(LiveDatabase live, string dump, RestoredObjects restored, bool replace)
    {
        // The views' names are known only now, from the copy: checked before the live database is touched.
        if (!replace) live.RequireFree(restored.Views.Select(v => v.Destination).ToList(), replace: false);
        // Replacing: the views first, deepest first, so no drop meets an object that still depends on it.
        var drops = replace
            ? restored.Views.OrderByDescending(v => v.Depth).Select(v => $"DROP {v.Kind} IF EXISTS {v.Destination.Sql}")
                .Concat(restored.Tables.Select(t => $"DROP TABLE IF EXISTS {t.Destination.Sql}")).ToList()
            : [];
        live.Load(dump, drops);
        foreach (var t in restored.Tables)
        {
            var rows = live.Count(t.Destination);
            if (rows != t.Rows)
                throw new OperationFailedException($"{t.Destination} in {live.Describe} holds {rows} rows after the load, the recovered copy {t.Rows}: check it before using it");
        }
    }
}
