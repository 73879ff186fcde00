using PgBackup.Cluster;
using PgBackup.Policies;

namespace PgBackup.Cli.Json;

/// <summary>The source decision as `cluster --json` prints it and /api/clusters serves it.</summary>
/// <param name="Source">The chosen member; null when none qualifies.</param>
internal sealed record ClusterJson(
    string Cluster,
    string AnsweredBy,
    bool Paused,
    string? Source,
    IReadOnlyList<string> Notes,
    IReadOnlyList<ClusterMemberJson> Members)
{
    public static ClusterJson Of(Policy policy, SourceDecision d) => new(
        policy.Cluster, d.Cluster.AnsweredBy.ToString(), d.Cluster.Paused, d.Chosen?.Member.Name, d.Notes,
        [.. d.Members.Select(ClusterMemberJson.Of)]);
}

/// <summary>One member: what Patroni said, what the SQL probe saw (null if not probed), and the verdict.</summary>
internal sealed record ClusterMemberJson(
    string Name,
    string Role,
    string State,
    string? Host,
    int? Port,
    int? Timeline,
    long? LagBytes,
    IReadOnlyDictionary<string, string> Tags,
    MemberProbeJson? Probe,
    bool Chosen,
    string Decision)
{
    public static ClusterMemberJson Of(MemberVerdict v) => new(
        v.Member.Name, v.Member.Role, v.Member.State, v.Member.Host, v.Member.Port, v.Member.Timeline, v.Member.LagBytes, v.Member.Tags,
        v.Probe is { } p ? new MemberProbeJson(p.InRecovery, p.ReceiveLsn, p.ReplayLsn, p.ReplayLagBytes, p.ReplayLagSeconds, p.WalReceiverStatus) : null,
        v.Chosen, v.Verdict);
}

internal sealed record MemberProbeJson(
    bool InRecovery,
    string? ReceiveLsn,
    string? ReplayLsn,
    long? ReplayLagBytes,
    double? ReplayLagSeconds,
    string? WalReceiver);
