using System.Diagnostics;
using Microsoft.Extensions.Logging;
using PgBackup.Errors;
using PgBackup.Policies;
using PgBackup.Postgres;
using PgBackup.Restore;
using PgBackup.IO;

namespace PgBackup.Drill;

/// <param name="Scratch">Empty or new directory to restore into; null for a fresh one under the temp directory.</param>
/// <param name="Keep">Leave the restored server running and its directory in place, for a look around.</param>
/// <param name="RestoreCommand">restore_command of the restored server.</param>
/// <param name="OsUser">When running as root: the user the server runs as.</param>
/// <param name="DbUser">The role the checks connect as (over the Unix socket; the backup's pg_hba.conf decides).</param>
public sealed record DrillOptions(string? Scratch, bool Keep, string RestoreCommand, string? OsUser, string DbUser, string? PgBin);

/// <summary>
/// `pgbackup drill`, top-down, the way an operator would prove a restore: restore the newest backup
/// into a scratch directory with all archived WAL (recovery to the end of the archive), start
/// PostgreSQL on a free port, wait until it is promoted and answers, check that recovery reached
/// the end of the archive, run pg_amcheck and count what each database holds, then stop and clean
/// up. Every step is timed; the report goes to the repository (drills/) whatever the outcome.
/// </summary>
public sealed class DrillRun(Policy policy, ILogger log, IProgress<CopyProgress>? progress = null)
{
    private const string ScratchPrefix = "pgbackup-drill-";
    private static readonly TimeSpan RecoveryTimeout = TimeSpan.FromHours(2);

    /// <summary>Runs the drill and stores its report (a repository that cannot take it is logged, not fatal: the drill's result stands).</summary>
    public async Task<DrillReport> RunAsync(DrillOptions options, CancellationToken ct)
    {
        var report = await DrillAsync(options, ct).ConfigureAwait(false);
        try
        {
            using var repository = policy.OpenRepository();
            await DrillReports.WriteAsync(repository, report, ct).ConfigureAwait(false);
        }
        catch (PgBackupException e)
        {
            log.LogWarning("Drill: could not store the report in the repository: {Reason}", e.Message);
        }
        return report;
    }

    private async Task<DrillReport> DrillAsync(DrillOptions options, CancellationToken ct)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var checks = new List<DrillCheck>();
        ScratchCopy.RemoveAbandoned(ScratchPrefix, options.PgBin, options.OsUser, log);
        var scratch = ScratchCopy.Create(options.Scratch, ScratchPrefix);
        var port = scratch.Port;
        RestorePlan? plan = null;
        RestoreResult? restored = null;
        RecoveryOutcome? outcome = null;
        RecoveredServer? server = null;
        double? recoverySeconds = null, usableSeconds = null;
        IReadOnlyList<DrillDatabase> databases = [];
        try
        {
            using (var repository = policy.OpenRepository())
                plan = await new RestorePlanner(repository).PlanAsync(RecoveryTarget.Latest(), "latest", null, ct).ConfigureAwait(false);
            var backup = plan.Backup;
            var pgBin = RecoveredServer.FindBinaries(options.PgBin, backup.ServerVersionNum / 10000);
            log.LogInformation("Drill: restoring backup {Backup} with the archived WAL to {ArchiveEnd} into {Scratch}, server on port {Port}",
                backup.Id, plan.WalUntil, scratch.Directory, port);
            var restoreOptions = new RestoreOptions(backup.Id, plan.Target, plan.Timeline, scratch.PgData, scratch.TablespaceMap(backup),
                port, Delta: false, options.RestoreCommand);
            restored = await new RestoreRun(policy, log, progress).RunAsync(restoreOptions, ct).ConfigureAwait(false);
            checks.Add(new DrillCheck("restore", true, $"backup {backup.Id}: {restored.BytesWritten} bytes and {restored.WalSegments} archived WAL segment(s) in {restored.Duration.TotalSeconds:0.0}s, every file's SHA-256 matched"));

            server = new RecoveredServer(pgBin, restored.PgData, port, options.OsUser);
            var recoveryStart = clock.Elapsed;
            outcome = await server.StartAsync([scratch.Directory], RecoveryTimeout, ct).ConfigureAwait(false);
            recoverySeconds = (clock.Elapsed - recoveryStart).TotalSeconds;
            checks.Add(outcome.End == RecoveryEnd.Promoted
                ? new DrillCheck("recovery", true, $"promoted to timeline {outcome.NewTimeline} after {recoverySeconds:0.0}s; last transaction replayed {outcome.LastTransactionTime ?? "none after the backup"}")
                : new DrillCheck("recovery", false, $"recovery ended {outcome.End.ToString().ToLowerInvariant()}: {outcome.Failure ?? outcome.StopReason}; see {server.LogPath}"));
            checks.Add(ReachedCheck(plan, outcome));
            if (outcome.End != RecoveryEnd.Promoted) return Finish();

            var checker = new RestoredServerChecks(server, pgBin, port, options.DbUser);
            var usable = await checker.WaitUsableAsync(ct).ConfigureAwait(false);
            usableSeconds = usable is null ? null : (usable.Value - startedAt).TotalSeconds;
            checks.Add(usable is null
                ? new DrillCheck("connect", false, $"the server did not answer as {options.DbUser} over /tmp port {port}; give --db-user a role the backup's pg_hba.conf lets in over the local socket")
                : new DrillCheck("connect", true, $"answered as {options.DbUser} {usableSeconds:0.0}s after the restore started"));
            if (usable is null) return Finish();

            databases = await checker.CountAsync(ct).ConfigureAwait(false);
            checks.Add(databases.Any(d => d.Name == "postgres")
                ? new DrillCheck("counts", true, $"{databases.Count} database(s): {string.Join(", ", databases.Select(d => $"{d.Name} {d.Relations} relations, {d.Tables} user tables"))}")
                : new DrillCheck("counts", false, $"the postgres database is missing (found {string.Join(", ", databases.Select(d => d.Name))})"));
            checks.Add(await checker.AmCheckAsync(plan.Backup.ServerVersionNum / 10000, ct).ConfigureAwait(false));
            return Finish();
        }
        catch (PgBackupException e)
        {
            // A drill that cannot restore is the finding: it goes into the report like any failed check.
            checks.Add(new DrillCheck(restored is null ? "restore" : "recovery", false, e.Message));
            return Finish();
        }
        finally
        {
            if (options.Keep) scratch.Keep();
            else scratch.CleanUp(server, log, "Drill");
        }

        DrillReport Finish()
        {
            var report = new DrillReport(policy.Cluster, plan?.Backup.Id, plan?.Backup.EndTime, startedAt, DateTimeOffset.UtcNow, checks.All(c => c.Ok),
                RecoveryTarget.Latest().Describe(), plan?.WalUntil?.ToString(), outcome?.RedoDoneAt, outcome?.NewTimeline,
                restored?.Duration.TotalSeconds, recoverySeconds, usableSeconds, restored?.BytesWritten, restored?.WalSegments,
                databases, checks, options.Keep ? scratch.Directory : null, options.Keep && server is not null ? port : null);
            log.LogInformation("Drill of cluster {Cluster} {Outcome} in {Seconds:0.0}s", policy.Cluster, report.Success ? "passed" : "FAILED", clock.Elapsed.TotalSeconds);
            return report;
        }
    }

    /// <summary>
    /// Recovery to the end of the archive must have replayed into the newest archived segment:
    /// "redo done at" names the last record replayed, which lies in it or beyond (the partial).
    /// </summary>
    private static DrillCheck ReachedCheck(RestorePlan plan, RecoveryOutcome outcome)
    {
        var size = (ulong)plan.Backup.WalSegmentSize;
        var required = plan.WalUntil is { } until && until.Value - size > plan.WalFrom.Value ? new Lsn(until.Value - size) : plan.Backup.StartLsn;
        if (outcome.RedoDoneAt is not { } redo || !Lsn.TryParse(redo, out var reached))
            return new DrillCheck("target", plan.WalUntil is null && outcome.End == RecoveryEnd.Promoted,
                $"the server reported no redo end; the archive ends at {plan.WalUntil?.ToString() ?? "the backup's end"}");
        return reached >= required
            ? new DrillCheck("target", true, $"replayed to {reached}, into the newest archived segment (archive complete to {plan.WalUntil ?? plan.Backup.EndLsn})")
            : new DrillCheck("target", false, $"replay stopped at {reached}, before {required}: archived WAL up to {plan.WalUntil} was not replayed; see the recovery log");
    }
}
