using PgBackup.Policies;

namespace PgBackup.Cluster;

/// <summary>A member that may serve as source, in order of preference.</summary>
public sealed record RankedCandidate(ClusterMember Member, string Why);

/// <summary>A member passed over, and the one-line reason an operator reads in `pgbackup cluster`.</summary>
public sealed record PassedOver(ClusterMember Member, string Reason);

public sealed record RankingResult(IReadOnlyList<RankedCandidate> Candidates, IReadOnlyList<PassedOver> PassedOver, IReadOnlyList<string> Notes);

/// <summary>
/// DESIGN.md "Choosing the source", as a pure function of what Patroni reports: replicas that are
/// running, on the leader's timeline, within the lag limit and not tagged nobackup; async replicas
/// before the sync standby (a backup must not slow commits), then lowest lag; the leader last and
/// only when the policy allows it (or, for an archiver so told, the leader alone). An incremental names the member that took its reference: among
/// async replicas within the limit that one comes first, because replicas' pages differ in bytes no
/// WAL carries (hint bits their own reads set), so another member's copy of an unchanged block may
/// not match the reference's and would be stored again.
/// </summary>
public static class ReplicaRanking
{
    public const string NoBackupTag = "nobackup";

    /// <param name="referenceMember">The member that took the backup an incremental builds on, or null.</param>
    public static RankingResult Rank(ClusterState cluster, SourceRules rules, string? referenceMember = null)
    {
        var notes = new List<string>();
        var leader = cluster.Leader;
        if (cluster.Paused)
            notes.Add("cluster is paused (maintenance mode): Patroni will not fail over on its own");
        if (leader is null)
            notes.Add("cluster has no leader (failover in progress?): no replica can be checked against the leader's timeline");

        var passed = new List<PassedOver>();
        var replicas = new List<ClusterMember>();
        foreach (var m in cluster.Members)
        {
            var reason = m.IsLeader ? null : RejectReplica(m, leader, rules);
            if (m.IsLeader) continue;
            if (reason is null) replicas.Add(m);
            else passed.Add(new PassedOver(m, reason));
        }

        // Patroni's lag is cached in the DCS and counts received, not replayed, WAL: right after a segment
        // switch on an idle primary it shows up to a whole segment for a replica that is fully caught up.
        // So a replica over the limit by Patroni's count stays a candidate, last; the SQL probe decides.
        var candidates = replicas
            .OrderBy(m => m.LagBytes > rules.MaxLagBytes)
            .ThenBy(m => m.IsSyncStandby)
            .ThenBy(m => m.Name != referenceMember)
            .ThenBy(m => m.LagBytes)
            .ThenBy(m => m.Name, StringComparer.Ordinal)
            .Select(m => new RankedCandidate(m, Describe(m, rules, m.Name == referenceMember)))
            .ToList();

        if (rules.Leader == LeaderUse.Only)
        {
            passed.AddRange(candidates.Select(c => new PassedOver(c.Member, $"replica ({rules.LeaderSetting}: only the leader)")));
            candidates.Clear();
        }
        if (leader is not null)
        {
            if (rules.Leader == LeaderUse.Never)
                passed.Add(new PassedOver(leader, $"leader ({rules.LeaderSetting})"));
            else if (!leader.IsRunning)
                passed.Add(new PassedOver(leader, $"leader is {leader.State}"));
            else if (leader.HasTag(NoBackupTag))
                passed.Add(new PassedOver(leader, "tagged nobackup"));
            else
                candidates.Add(new RankedCandidate(leader, rules.Leader == LeaderUse.Only
                    ? $"leader ({rules.LeaderSetting})"
                    : $"leader, allowed by {rules.LeaderSetting}, used only while no replica qualifies"));
        }
        return new RankingResult(candidates, passed, notes);
    }

    private static string? RejectReplica(ClusterMember m, ClusterMember? leader, SourceRules rules)
    {
        if (!m.IsReplica) return $"role {m.Role} is not a replica";
        if (!m.IsRunning) return $"state is {m.State}, not running";
        if (m.HasTag(NoBackupTag)) return "tagged nobackup";
        if (leader is null) return "no leader to compare its timeline with";
        if (m.Timeline is null) return "timeline unknown";
        if (leader.Timeline is { } lt && m.Timeline != lt) return $"on timeline {m.Timeline}, the leader is on {lt}";
        if (m.LagBytes is null) return "lag unknown";
        return null;
    }

    private static string Describe(ClusterMember m, SourceRules rules, bool tookReference) =>
        $"{(m.IsSyncStandby ? "sync standby (used after async replicas)" : "async replica")}, lag {ByteSize.Format(m.LagBytes ?? 0)}" +
        (tookReference ? ", took the backup this one builds on (its unchanged blocks match byte for byte)" : "") +
        (m.LagBytes > rules.MaxLagBytes ? $" per Patroni, over source.max_lag {ByteSize.Format(rules.MaxLagBytes)}: tried last, the SQL probe decides" : "");
}
