using PgBackup.Cluster;
using PgBackup.Policies;

namespace PgBackup.Tests.Unit.Cluster;

/// <summary>
/// The same situations captured from each Patroni the sandbox runs (Samples/ holds 3.0.2's,
/// Samples/patroni-VERSION/ the others', see Samples/README.md): parsing and ranking agree on all of
/// them. Member names differ between captures, so expectations are stated by role, state and tag.
/// </summary>
public sealed class PatroniVersionFacts
{
    private static readonly SourceRules Default = new(16L << 20, LeaderUse.Never, "source.allow_leader: false");

    public static TheoryData<string> Versions => new() { "", "patroni-2.0.2", "patroni-4.0.7", "patroni-4.1.5" };

    private static ClusterState Load(string version, string sample) =>
        PatroniClusterParser.Parse(TestData.Read(["Cluster", "Samples", .. version.Length > 0 ? new[] { version } : [], sample]), new Uri("http://127.0.0.1:15410/"));

    private static RankingResult Rank(string version, string sample) => ReplicaRanking.Rank(Load(version, sample), Default);

    [Theory]
    [MemberData(nameof(Versions))]
    public void A_healthy_cluster_offers_every_replica_and_passes_over_the_leader(string version)
    {
        var state = Load(version, "healthy.json");
        var r = ReplicaRanking.Rank(state, Default);
        var leader = Assert.Single(state.Members, m => m.IsLeader);
        Assert.Equal(state.Members.Where(m => !m.IsLeader).Select(m => m.Name).Order(), r.Candidates.Select(c => c.Member.Name).Order());
        Assert.All(r.Candidates, c => Assert.True(c.Member.IsRunning && c.Member.LagBytes is not null));
        Assert.Equal("leader (source.allow_leader: false)", r.PassedOver.Single(p => p.Member.Name == leader.Name).Reason);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void The_replica_tagged_nobackup_is_passed_over(string version)
    {
        var state = Load(version, "nobackup-tag.json");
        var tagged = Assert.Single(state.Members, m => m.Tags.TryGetValue(ReplicaRanking.NoBackupTag, out var v) && v == "true");
        var r = ReplicaRanking.Rank(state, Default);
        Assert.Equal("tagged nobackup", r.PassedOver.Single(p => p.Member.Name == tagged.Name).Reason);
        Assert.Single(r.Candidates);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void The_sync_standby_comes_after_the_async_replica(string version)
    {
        var r = Rank(version, "sync-standby.json");
        Assert.Equal(2, r.Candidates.Count);
        Assert.False(r.Candidates[0].Member.IsSyncStandby);
        Assert.True(r.Candidates[1].Member.IsSyncStandby);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void A_stopped_replica_is_passed_over_with_its_state(string version)
    {
        var state = Load(version, "replica-stopped.json");
        var stopped = Assert.Single(state.Members, m => m.State == "stopped");
        Assert.Equal("state is stopped, not running", ReplicaRanking.Rank(state, Default).PassedOver.Single(p => p.Member.Name == stopped.Name).Reason);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void After_a_failover_both_replicas_qualify_on_the_new_timeline(string version)
    {
        var state = Load(version, "after-failover.json");
        var leader = Assert.Single(state.Members, m => m.IsLeader);
        Assert.True(leader.Timeline > 1);
        var r = ReplicaRanking.Rank(state, Default);
        Assert.Equal(2, r.Candidates.Count);
        Assert.All(r.Candidates, c => Assert.Equal(leader.Timeline, c.Member.Timeline));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void With_only_the_leader_there_is_no_candidate(string version) =>
        Assert.Empty(Rank(version, "only-leader.json").Candidates);
}
