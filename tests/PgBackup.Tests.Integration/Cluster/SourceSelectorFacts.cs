using System.Diagnostics;
using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Cluster;

/// <summary>The source decision against the live sandbox, before and after the leader changes.</summary>
[Collection(SandboxCollection.Name)]
public sealed class SourceSelectorFacts(SandboxFixture fixture, ITestOutputHelper output)
{
    /// <summary>How long decisions are watched after the leader's postmaster is killed.</summary>
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly ClusterSandbox _cluster = new(fixture, output);

    [Fact]
    public async Task Picks_a_streaming_replica_of_a_healthy_cluster()
    {
        using var policy = PolicyFile.ForSandbox(fixture.Endpoints);
        var leader = await _cluster.Sql.LeaderAsync();

        var chosen = await _cluster.EnginePicksAStreamingReplicaAsync(policy);

        Assert.NotEqual(leader, chosen);
    }

    [Fact]
    public async Task Picks_a_streaming_replica_again_after_a_switchover_and_after_a_failover()
    {
        using var policy = PolicyFile.ForSandbox(fixture.Endpoints);
        foreach (var change in new[] { "switchover", "failover" })
        {
            var before = await _cluster.Sql.LeaderAsync();
            var clock = Stopwatch.StartNew();
            var reported = fixture.Sandbox(change).Trim(); // returns once healthy again
            var after = await _cluster.Sql.LeaderAsync();
            output.WriteLine($"{change}: leader {before} -> {after} in {clock.Elapsed.TotalSeconds:0.0} s");
            Assert.NotEqual(before, after);
            Assert.Equal(after, reported);

            Assert.NotEqual(after, await _cluster.EnginePicksAStreamingReplicaAsync(policy));
            Assert.NotEqual(after, await _cluster.CliPicksAStreamingReplicaAsync(policy));
        }
    }

    /// <summary>
    /// kill -9 of the leader's postmaster (Patroni fails over: primary_start_timeout is 0), then
    /// ~15 s of decisions while it is down and rejoins: it is never picked unless SQL confirms it
    /// streams again, and every pick answers SQL (in recovery, unless the policy allows a leader).
    /// </summary>
    [Fact]
    public async Task Never_picks_the_old_leader_while_it_is_down_during_a_failover()
    {
        using var replicasOnly = PolicyFile.ForSandbox(fixture.Endpoints);
        using var leaderAllowed = PolicyFile.ForSandbox(fixture.Endpoints, allowLeader: true);
        var old = await _cluster.Sql.LeaderAsync();
        var decisions = 0;
        var decisionsWhileDown = 0;
        var picks = new Dictionary<string, int>();
        var lastSeen = new Dictionary<PolicyFile, string>();
        output.WriteLine($"kill -9 postmaster {fixture.KillPostmaster(old)} of leader {old}");
        try
        {
            var clock = Stopwatch.StartNew();
            using var cadence = new PeriodicTimer(PollInterval);
            do
            {
                foreach (var policy in new[] { replicasOnly, leaderAllowed })
                {
                    var decision = await ClusterSandbox.DecideAsync(policy);
                    var oldState = await _cluster.Sql.StateOfAsync(old);
                    decisions++;
                    if (!oldState.Reachable) decisionsWhileDown++;
                    var patroniView = decision.Members.FirstOrDefault(m => m.Member.Name == old)?.Member;
                    var seen = $"{(policy == replicasOnly ? "replicas only" : "leader allowed")}: source {decision.Chosen?.Member.Name ?? "none"}; " +
                               $"{old} is {patroniView?.Role}/{patroniView?.State} in Patroni, {oldState} in SQL";
                    if (lastSeen.GetValueOrDefault(policy) != seen) output.WriteLine($"{clock.Elapsed.TotalSeconds,5:0.0} s {seen}");
                    lastSeen[policy] = seen;
                    if (decision.Chosen is not { } chosen) continue;

                    var name = chosen.Member.Name;
                    picks[name] = picks.GetValueOrDefault(name) + 1;
                    var context = $"at {clock.Elapsed.TotalSeconds:0.0} s {name} was chosen ({ClusterSandbox.Explain(decision)}); {old} is {oldState}";
                    if (name == old)
                    {
                        Assert.True(oldState.IsStreamingReplica, context);
                        continue;
                    }
                    var state = await _cluster.Sql.StateOfAsync(name);
                    Assert.True(state.Reachable, context + $"; {name} is {state}");
                    if (policy == replicasOnly) Assert.True(state.InRecovery, context + $"; {name} is {state}");
                }
            }
            while (clock.Elapsed < Window && await cadence.WaitForNextTickAsync());
        }
        finally
        {
            fixture.WaitHealthy();
        }
        output.WriteLine($"{decisions} decisions, {decisionsWhileDown} while {old} was down; picks: {string.Join(", ", picks.Select(p => $"{p.Key} x{p.Value}"))}");
        Assert.True(decisionsWhileDown > 0, $"{old} was never seen down: the failover window was not observed");

        var leader = await _cluster.Sql.LeaderAsync();
        Assert.NotEqual(old, leader);
        Assert.NotEqual(leader, await _cluster.EnginePicksAStreamingReplicaAsync(replicasOnly));
        Assert.NotEqual(leader, await _cluster.CliPicksAStreamingReplicaAsync(replicasOnly));
    }
}
