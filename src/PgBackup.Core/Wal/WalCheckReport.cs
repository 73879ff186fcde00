using PgBackup.Postgres;

namespace PgBackup.Wal;

/// <summary>What `pgbackup check` found. <see cref="Problems"/> empty means the archive is whole and current.</summary>
/// <param name="From">Where continuity is required from, and why (<see cref="FromWhat"/>).</param>
/// <param name="ArchivedTo">End of the newest complete segment on the newest timeline's path.</param>
public sealed record WalCheckReport(
    uint? FromTimeline,
    Lsn? From,
    string FromWhat,
    uint? Timeline,
    Lsn? ArchivedTo,
    IReadOnlyList<uint> Histories,
    IReadOnlyList<WalGap> Gaps,
    string? LeaderLsn,
    long? LagBytes,
    double? LagSeconds,
    string? StreamingFrom,
    IReadOnlyList<MemberSlot> Slots,
    IReadOnlyList<MemberSlot> StaleSlots,
    IReadOnlyList<WalProblem> Problems)
{
    public bool Ok => Problems.Count == 0;
}
