using PgBackup.Errors;
using PgBackup.IO;

namespace PgBackup.Restore;

/// <summary>How `restore --start` ended: what recovery did, how long it took, where its log is, and whether the server still runs.</summary>
public sealed record RecoveryStartResult(RecoveryOutcome Outcome, TimeSpan Elapsed, string LogPath, bool Running);

/// <summary>
/// `restore --start`, top-down: start PostgreSQL on the restored copy (archived WAL may still be
/// arriving, <see cref="WalArrival"/>), wait until recovery ends, stop what still arrives, let the
/// caller show where it ended, then judge it — a recovery that failed is an error that
/// says what to do — and stop the server if asked.
/// </summary>
public static class RecoveryStart
{
    private static readonly TimeSpan RecoveryTimeout = TimeSpan.FromHours(6);

    /// <param name="ended">Shown the outcome before it is judged, so a failed recovery is reported in full first.</param>
    /// <param name="progress">Shown the WAL recovery has replayed (and, while it still arrives, downloaded) as it goes.</param>
    public static async Task<RecoveryStartResult> RunAsync(RestoreResult restored, string pgBin, RestoreOptions options, string? osUser, bool stopAfter,
        Action<RecoveryStartResult> ended, IProgress<CopyProgress>? progress, CancellationToken ct)
    {
        var server = new RecoveredServer(pgBin, restored.PgData, options.Port, osUser);
        var started = DateTimeOffset.UtcNow;
        RecoveryOutcome outcome;
        using (new CopyProgressReporter(progress, () => Recovering(server, restored, started)))
            outcome = await server.StartAsync(restored.Directories, RecoveryTimeout, ct).ConfigureAwait(false);
        // Recovery is over either way: WAL still arriving is not wanted now, and a download that failed
        // matters only if recovery failed (it may be why).
        var walFailure = restored.Arrival.Failure;
        await restored.Arrival.StopAsync().ConfigureAwait(false);
        var result = new RecoveryStartResult(outcome, DateTimeOffset.UtcNow - started, server.LogPath, outcome.End != RecoveryEnd.ShutDown);
        ended(result);
        if (outcome.End == RecoveryEnd.Failed)
            throw new OperationFailedException($"recovery did not reach {options.Target.Describe()}: {outcome.Failure}"
                + (walFailure is null ? "" : $" (the restore's download of archived WAL failed: {walFailure.Message})") + FailureHint(outcome, restored));
        if (stopAfter && result.Running)
        {
            server.Stop();
            return result with { Running = false };
        }
        return result;
    }

    /// <summary>
    /// Recovery's progress: the segments the server took of all the restore spooled (the backup's own
    /// and the archived ones), and while the archived ones still arrive, how many have.
    /// </summary>
    private static CopyProgress Recovering(RecoveredServer server, RestoreResult restored, DateTimeOffset started)
    {
        var backup = restored.Plan.Backup;
        var arriving = restored.Arrival.Arriving ? $"{restored.Arrival.SegmentsArrived}/{restored.WalSegments} segments downloaded" : null;
        return new CopyProgress("replaying WAL", server.SegmentsRestored * backup.WalSegmentSize,
            (backup.Wal.Count + restored.WalSegments) * backup.WalSegmentSize, arriving, DateTimeOffset.UtcNow - started);
    }

    /// <summary>
    /// PostgreSQL stops at the first record matching the target after the backup's start: a restore
    /// point name used before (or a target inside the backup) can lie before the backup is
    /// consistent. Only an older backup reaches it; say so instead of leaving the operator at FATAL.
    /// </summary>
    private static string FailureHint(RecoveryOutcome outcome, RestoreResult restored) =>
        outcome.Failure?.Contains("before consistent recovery point", StringComparison.Ordinal) == true
            ? $"; the target lies before the end of backup {restored.Plan.Backup.Id} (a restore point name used more than once?): restore an older backup with --backup ID (`pgbackup list`)"
            : "";
}
