using PgBackup.Wal;

namespace PgBackup.Cli.Json;

/// <summary>What `check --json` prints: the WAL archive's continuity, lag and slots, and every problem.</summary>
internal sealed record CheckJson(
    bool Ok,
    string? From,
    uint? FromTimeline,
    string FromWhat,
    string? ArchivedTo,
    uint? Timeline,
    IReadOnlyList<uint> Histories,
    IReadOnlyList<WalGapJson> Gaps,
    string? LeaderLsn,
    long? LagBytes,
    double? LagSeconds,
    string? StreamingFrom,
    IReadOnlyList<MemberSlot> Slots,
    IReadOnlyList<WalProblemJson> Problems)
{
    public static CheckJson Of(WalCheckReport r) => new(
        r.Ok, r.From?.ToString(), r.FromTimeline, r.FromWhat, r.ArchivedTo?.ToString(), r.Timeline, r.Histories,
        [.. r.Gaps.Select(g => new WalGapJson(g.Timeline, g.First.FileName, g.Last.FileName, g.From.ToString(), g.To.ToString()))],
        r.LeaderLsn, r.LagBytes, r.LagSeconds, r.StreamingFrom, r.Slots,
        [.. r.Problems.Select(p => new WalProblemJson(p.Kind.ToString(), p.Message))]);
}

/// <summary>Missing WAL: segments <paramref name="First"/> to <paramref name="Last"/>, LSNs <paramref name="From"/> to <paramref name="To"/>.</summary>
internal sealed record WalGapJson(uint Timeline, string First, string Last, string From, string To);

/// <param name="Kind">A <see cref="WalProblemKind"/> by name.</param>
internal sealed record WalProblemJson(string Kind, string Message);
