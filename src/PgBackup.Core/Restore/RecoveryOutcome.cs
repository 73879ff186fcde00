using System.Text.RegularExpressions;

namespace PgBackup.Restore;

public enum RecoveryEnd { Promoted, Paused, ShutDown, Failed }

/// <summary>
/// Where recovery actually stopped, read from the server's own log lines — the one witness that
/// needs no login to the restored server (whose pg_hba.conf came from the backup).
/// </summary>
public sealed partial record RecoveryOutcome(
    RecoveryEnd End,
    string? StopReason,
    string? LastTransactionTime,
    string? RedoDoneAt,
    uint? NewTimeline,
    string? Failure)
{
    /// <summary>Null while recovery is still running.</summary>
    public static RecoveryOutcome? FromLog(string log)
    {
        string? Find(Regex r) => r.Match(log) is { Success: true } m ? m.Groups[1].Value.Trim() : null;
        var stop = Find(StopLine());
        var last = Find(LastTransaction());
        var redo = Find(RedoDone());
        var timeline = Find(NewTimelineLine()) is { } t ? uint.Parse(t, System.Globalization.CultureInfo.InvariantCulture) : (uint?)null;
        if (Find(FatalLine()) is { } fatal)
            return new RecoveryOutcome(RecoveryEnd.Failed, stop, last, redo, timeline, fatal);
        if (log.Contains("recovery has paused", StringComparison.Ordinal) || log.Contains("pausing at the end of recovery", StringComparison.Ordinal))
            return new RecoveryOutcome(RecoveryEnd.Paused, stop, last, redo, timeline, null);
        if (log.Contains("shutdown at recovery target", StringComparison.Ordinal))
            return new RecoveryOutcome(RecoveryEnd.ShutDown, stop, last, redo, timeline, null);
        if (timeline is not null && log.Contains("database system is ready to accept connections", StringComparison.Ordinal))
            return new RecoveryOutcome(RecoveryEnd.Promoted, stop, last, redo, timeline, null);
        return null;
    }

    [GeneratedRegex(@"LOG:\s+(recovery stopping [^\n]*)")]
    private static partial Regex StopLine();

    [GeneratedRegex(@"last completed transaction was at log time ([^\n]*)")]
    private static partial Regex LastTransaction();

    [GeneratedRegex(@"redo done at ([0-9A-F]+/[0-9A-F]+)")]
    private static partial Regex RedoDone();

    [GeneratedRegex(@"selected new timeline ID: (\d+)")]
    private static partial Regex NewTimelineLine();

    [GeneratedRegex(@"(?:FATAL|PANIC):\s+([^\n]*)")]
    private static partial Regex FatalLine();
}
