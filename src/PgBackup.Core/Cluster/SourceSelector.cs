using Microsoft.Extensions.Logging;
using PgBackup.Errors;
using PgBackup.Policies;

namespace PgBackup.Cluster;

/// <summary>One member's line in the decision: what Patroni and the probe said, and the verdict.</summary>
/// <param name="LoginRefused">The error, when the member refused the probe's login.</param>
public sealed record MemberVerdict(ClusterMember Member, ProbeResult? Probe, bool Chosen, string Verdict, string? LoginRefused = null);

public sealed record SourceDecision(ClusterState Cluster, IReadOnlyList<MemberVerdict> Members, IReadOnlyList<string> Notes)
{
    public MemberVerdict? Chosen => Members.FirstOrDefault(m => m.Chosen);
}

/// <summary>
/// Picks the source: ranks what Patroni reports, then lets SQL probes confirm candidates in
/// order, because Patroni's lag is cached in the DCS and may be seconds old.
/// </summary>
/// <param name="referenceMember">For an incremental: the member that took its reference, preferred among equals.</param>
public sealed class SourceSelector(Policy policy, ILogger log, string? referenceMember = null)
{
    private readonly MemberProbe _probe = new(policy.Connection);

    /// <param name="exclude">Members to pass over (a retry after a member failed mid-backup).</param>
    /// <param name="probeEveryone">Also probe members that were passed over, for a full report.</param>
    public async Task<SourceDecision> DecideAsync(IReadOnlySet<string> exclude, bool probeEveryone, CancellationToken ct)
    {
        using var patroni = new PatroniClient(policy.Patroni, log);
        var cluster = await patroni.GetClusterAsync(ct).ConfigureAwait(false);
        var ranking = ReplicaRanking.Rank(cluster, policy.Source, referenceMember);

        var leaderProbe = cluster.Leader is { IsRunning: true } leader ? await TryProbeAsync(leader, null, ct).ConfigureAwait(false) : default;
        var leaderLsn = leaderProbe.Result is { InRecovery: false } lp ? lp.CurrentLsn : null;

        var verdicts = new List<MemberVerdict>();
        var chosen = false;
        foreach (var candidate in ranking.Candidates)
        {
            var m = candidate.Member;
            if (exclude.Contains(m.Name))
            {
                verdicts.Add(new MemberVerdict(m, null, false, "excluded: failed during this run"));
                continue;
            }
            if (chosen && !probeEveryone)
            {
                verdicts.Add(new MemberVerdict(m, null, false, "candidate (" + candidate.Why + ")"));
                continue;
            }
            var (probe, error, loginRefused) = m.IsLeader ? leaderProbe : await TryProbeAsync(m, leaderLsn, ct).ConfigureAwait(false);
            var rejection = error ?? (probe is null ? "not probed" : Reject(m, probe));
            if (rejection is null && !chosen)
            {
                chosen = true;
                verdicts.Add(new MemberVerdict(m, probe, true, "chosen: " + candidate.Why));
            }
            else
            {
                verdicts.Add(new MemberVerdict(m, probe, false, rejection ?? "candidate (" + candidate.Why + ")", loginRefused));
            }
        }
        foreach (var p in ranking.PassedOver)
        {
            var probe = !probeEveryone || !p.Member.IsRunning ? null
                : p.Member.IsLeader ? leaderProbe.Result
                : (await TryProbeAsync(p.Member, leaderLsn, ct).ConfigureAwait(false)).Result;
            verdicts.Add(new MemberVerdict(p.Member, probe, false, p.Reason));
        }
        verdicts.Sort((a, b) => string.CompareOrdinal(a.Member.Name, b.Member.Name));
        return new SourceDecision(cluster, verdicts, ranking.Notes);
    }

    /// <summary>Like <see cref="DecideAsync"/>, but a decision without a source is an exit-3 error that explains every member.</summary>
    public async Task<(ClusterMember Member, SourceDecision Decision)> ChooseAsync(IReadOnlySet<string> exclude, CancellationToken ct)
    {
        var decision = await DecideAsync(exclude, probeEveryone: false, ct).ConfigureAwait(false);
        if (decision.Chosen is { } c) return (c.Member, decision);
        if (decision.Members.FirstOrDefault(m => m.LoginRefused is not null) is { LoginRefused: { } refused })
            throw new LoginRefusedException(refused);
        var why = string.Join("; ", decision.Members.Select(m => $"{m.Member.Name}: {m.Verdict}").Concat(decision.Notes));
        throw new SourceUnavailableException($"no member of cluster '{policy.Cluster}' qualifies as a source ({why}); run `pgbackup cluster` for details");
    }

    /// <summary>Why <paramref name="member"/> no longer qualifies by its own account (a probe, no Patroni request), or null while it does.</summary>
    public async Task<string?> RecheckAsync(ClusterMember member, CancellationToken ct)
    {
        var (probe, error, _) = await TryProbeAsync(member, null, ct).ConfigureAwait(false);
        return error ?? Reject(member, probe!);
    }

    private string? Reject(ClusterMember m, ProbeResult probe)
    {
        if (m.IsLeader) return probe.InRecovery ? "claims to be leader but is in recovery" : null;
        if (!probe.InRecovery) return "probe: not in recovery (promoted?)";
        if (probe.WalReceiverStatus != "streaming") return $"probe: WAL receiver is {probe.WalReceiverStatus ?? "not running"}";
        if (probe.ReplayLagBytes > policy.Source.MaxLagBytes)
            return $"probe: replay lag {ByteSize.Format(probe.ReplayLagBytes.Value)} exceeds source.max_lag {ByteSize.Format(policy.Source.MaxLagBytes)}";
        return null;
    }

    private async Task<(ProbeResult? Result, string? Error, string? LoginRefused)> TryProbeAsync(ClusterMember m, string? leaderLsn, CancellationToken ct)
    {
        if (m.Host is null || m.Port is null) return (null, "Patroni reports no host/port", null);
        try
        {
            return (await _probe.ProbeAsync(m.Host, m.Port.Value, leaderLsn, ct).ConfigureAwait(false), null, null);
        }
        catch (SourceUnavailableException e)
        {
            log.LogWarning("Probe of {Member} failed: {Reason}", m.Name, e.Message);
            return (null, "probe failed: " + MemberProbe.OneLine(e.InnerException ?? e), _probe.LoginRefusal(e, m.Name, m.Host, m.Port.Value));
        }
    }
}
