using PgBackup.Postgres;

namespace PgBackup.Wal;

public enum WalArchiverState
{
    Starting,
    Streaming,
    /// <summary>Between members: after a failure or a timeline switch, choosing and connecting.</summary>
    Reconnecting,
    Stopped,
}

/// <summary>
/// What the archiver is doing, as one immutable snapshot (for logs, `serve` and /metrics).
/// Lag is measured against the source's end of WAL as it last reported it.
/// </summary>
/// <param name="ArchivedLsn">Everything before this position on <see cref="Timeline"/> is durable in the repository (segments or the partial).</param>
/// <param name="LagBytes">Source's end of WAL minus <see cref="ArchivedLsn"/>.</param>
/// <param name="LagSeconds">How long the oldest received but not yet durable WAL has waited.</param>
/// <param name="SourceReason">Why <see cref="SourceMember"/> was chosen, as the ranking says it.</param>
/// <param name="LastError">The failure the archiver is recovering from; cleared once it streams again.</param>
/// <param name="Gaps">WAL the archiver could not get from any member: it never hides these.</param>
/// <param name="PreviousError">The last error it recovered from, kept as history.</param>
public sealed record WalArchiverStatus(
    WalArchiverState State,
    string? SourceMember,
    string? SourceReason,
    uint? Timeline,
    Lsn? ArchivedLsn,
    DateTimeOffset? ArchivedAt,
    Lsn? SourceWalEnd,
    long LagBytes,
    double LagSeconds,
    long SegmentsArchived,
    string? LastError,
    DateTimeOffset? LastErrorAt,
    IReadOnlyList<WalGap> Gaps,
    string? PreviousError = null,
    DateTimeOffset? PreviousErrorAt = null)
{
    public static WalArchiverStatus Initial { get; } = new(WalArchiverState.Starting, null, null, null, null, null, null, 0, 0, 0, null, null, []);

    /// <summary>Streaming again: the error is over, and becomes history.</summary>
    public WalArchiverStatus Recovered() => LastError is null ? this
        : this with { PreviousError = LastError, PreviousErrorAt = LastErrorAt, LastError = null, LastErrorAt = null };

    /// <summary>One log line.</summary>
    public override string ToString() =>
        $"{State} from {SourceMember ?? "-"} timeline {Timeline?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}: " +
        $"archived to {ArchivedLsn?.ToString() ?? "-"}, lag {LagBytes} bytes / {LagSeconds:0.0} s, {SegmentsArchived} segments this run" +
        (Gaps.Count > 0 ? $", {Gaps.Count} GAP(S): {string.Join("; ", Gaps)}" : "") +
        (LastError is null ? "" : $", last error: {LastError}");
}
