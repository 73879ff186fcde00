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
/// only when the policy allows it.
/// </summary>
public static class ReplicaRanking
{
    public const string NoBackupTag = "nobackup";

    public static RankingResult Rank(ClusterState cluster, SourceRules rules)
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

        var candidates = replicas
            .OrderBy(m => m.IsSyncStandby)
            .ThenBy(m => m.LagBytes)
            .ThenBy(m => m.Name, StringComparer.Ordinal)
            .Select(m => new RankedCandidate(m, Describe(m)))
            .ToList();

        if (leader is not null)
        {
            if (!rules.AllowLeader)
                passed.Add(new PassedOver(leader, "leader (source.allow_leader is off)"));
            else if (!leader.IsRunning)
                passed.Add(new PassedOver(leader, $"leader is {leader.State}"));
            else if (leader.HasTag(NoBackupTag))
                passed.Add(new PassedOver(leader, "tagged nobackup"));
            else
                candidates.Add(new RankedCandidate(leader, "leader, allowed by source.allow_leader, used only when no replica qualifies"));
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
        if (m.LagBytes > rules.MaxLagBytes) return $"lag {ByteSize.Format(m.LagBytes.Value)} exceeds source.max_lag {ByteSize.Format(rules.MaxLagBytes)}";
        return null;
    }

    private static string Describe(ClusterMember m) =>
        $"{(m.IsSyncStandby ? "sync standby (used after async replicas)" : "async replica")}, lag {ByteSize.Format(m.LagBytes ?? 0)}";
}
