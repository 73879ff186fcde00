using PgBackup.Cluster;
using PgBackup.Errors;
using PgBackup.Policies;

namespace PgBackup.Tests.Unit.Cluster;

/// <summary>Ranking on /cluster responses captured from the sandbox (see Samples/README.md).</summary>
public sealed class ReplicaRankingFacts
{
    private static readonly SourceRules Default = new(16L << 20, LeaderUse.Never, "source.allow_leader: false");

    private static RankingResult Rank(string sample, SourceRules? rules = null) =>
        ReplicaRanking.Rank(Load(sample), rules ?? Default);

    private static ClusterState Load(string sample) =>
        PatroniClusterParser.Parse(TestData.Read("Cluster", "Samples", sample), new Uri("http://127.0.0.1:15410/"));

    private static string Reason(RankingResult r, string member) => r.PassedOver.Single(p => p.Member.Name == member).Reason;

    [Fact]
    public void Healthy_cluster_offers_both_replicas_by_name_and_passes_over_the_leader()
    {
        var r = Rank("healthy.json");
        Assert.Equal(["m2", "m3"], r.Candidates.Select(c => c.Member.Name));
        Assert.Equal("leader (source.allow_leader: false)", Reason(r, "m1"));
    }

    [Fact]
    public void A_replica_lagging_past_the_limit_per_patroni_is_tried_last_for_the_probe_to_decide()
    {
        var r = Rank("replica-lagging.json");
        Assert.Equal(["m3", "m2"], r.Candidates.Select(c => c.Member.Name));
        Assert.Equal("async replica, lag 55.2 MiB per Patroni, over source.max_lag 16.0 MiB: tried last, the SQL probe decides", r.Candidates[1].Why);
    }

    [Fact]
    public void A_larger_lag_limit_keeps_the_lagging_replica_but_ranks_it_last()
    {
        var r = Rank("replica-lagging.json", Default with { MaxLagBytes = 1L << 30 });
        Assert.Equal(["m3", "m2"], r.Candidates.Select(c => c.Member.Name));
    }

    [Fact]
    public void A_stopped_replica_is_passed_over_with_its_state()
    {
        var r = Rank("replica-stopped.json");
        Assert.Equal(["m3"], r.Candidates.Select(c => c.Member.Name));
        Assert.Equal("state is stopped, not running", Reason(r, "m2"));
    }

    [Fact]
    public void A_replica_tagged_nobackup_is_never_offered()
    {
        var r = Rank("nobackup-tag.json");
        Assert.Equal(["m2"], r.Candidates.Select(c => c.Member.Name));
        Assert.Equal("tagged nobackup", Reason(r, "m3"));
    }

    [Fact]
    public void Async_replicas_come_before_the_sync_standby()
    {
        var r = Rank("sync-standby.json");
        Assert.Equal(["m2", "m3"], r.Candidates.Select(c => c.Member.Name));
        Assert.True(r.Candidates[1].Member.IsSyncStandby);
        var state = Load("sync-standby.json");
        var syncFirstByName = state with { Members = state.Members.Select(m => m.IsSyncStandby ? m with { Name = "m0" } : m).ToList() };
        Assert.Equal(["m2", "m0"], ReplicaRanking.Rank(syncFirstByName, Default).Candidates.Select(c => c.Member.Name));
    }

    [Fact]
    public void An_incremental_prefers_the_replica_that_took_its_reference()
    {
        var r = ReplicaRanking.Rank(Load("healthy.json"), Default, referenceMember: "m3");
        Assert.Equal(["m3", "m2"], r.Candidates.Select(c => c.Member.Name));
        Assert.EndsWith("took the backup this one builds on (its unchanged blocks match byte for byte)", r.Candidates[0].Why);
        Assert.DoesNotContain("builds on", r.Candidates[1].Why);
    }

    [Fact]
    public void The_reference_member_does_not_outrank_the_lag_limit_or_the_async_rule()
    {
        Assert.Equal(["m3", "m2"], ReplicaRanking.Rank(Load("replica-lagging.json"), Default, referenceMember: "m2").Candidates.Select(c => c.Member.Name));
        var sync = Load("sync-standby.json");
        var standby = sync.Members.Single(m => m.IsSyncStandby).Name;
        Assert.Equal(standby, ReplicaRanking.Rank(sync, Default, referenceMember: standby).Candidates.Last().Member.Name);
    }

    [Fact]
    public void Unknown_lag_disqualifies_a_replica()
    {
        var r = Rank("lag-unknown.json");
        Assert.Equal(["m3"], r.Candidates.Select(c => c.Member.Name));
        Assert.Contains("unknown", Reason(r, "m2"));
    }

    [Fact]
    public void A_paused_cluster_still_ranks_and_says_it_is_paused()
    {
        var r = Rank("paused.json");
        Assert.Equal(2, r.Candidates.Count);
        Assert.Contains(r.Notes, n => n.Contains("paused"));
    }

    [Fact]
    public void A_replica_still_on_the_old_timeline_during_failover_is_passed_over()
    {
        var r = Rank("failover-in-progress.json");
        Assert.Empty(r.Candidates);
        Assert.Equal("on timeline 1, the leader is on 2", Reason(r, "m3"));
        Assert.Equal("state is stopped, not running", Reason(r, "m1"));
    }

    [Fact]
    public void After_failover_the_replicas_on_the_new_timeline_qualify_and_the_new_leader_does_not()
    {
        var r = Rank("after-failover.json");
        Assert.Equal(["m1", "m3"], r.Candidates.Select(c => c.Member.Name));
        Assert.All(r.Candidates, c => Assert.Equal(2, c.Member.Timeline));
        Assert.Contains("leader", Reason(r, "m2"));
    }

    [Fact]
    public void Only_the_leader_left_gives_no_candidate_unless_the_policy_allows_it()
    {
        Assert.Empty(Rank("only-leader.json").Candidates);
        var allowed = Rank("only-leader.json", Default with { Leader = LeaderUse.WhenNoReplica });
        Assert.True(Assert.Single(allowed.Candidates).Member.IsLeader);
    }

    [Fact]
    public void The_leader_is_the_last_resort_when_allowed()
    {
        var r = Rank("healthy.json", Default with { Leader = LeaderUse.WhenNoReplica });
        Assert.Equal(["m2", "m3", "m1"], r.Candidates.Select(c => c.Member.Name));
    }

    [Theory]
    [InlineData(ArchiveSource.ReplicaPreferred, "m2 m3 m1")]
    [InlineData(ArchiveSource.ReplicaOnly, "m2 m3")]
    [InlineData(ArchiveSource.Leader, "m1")]
    public void The_archivers_source_setting_decides_where_the_leader_ranks(ArchiveSource source, string expected)
    {
        var archive = new ArchiveSettings(TimeSpan.FromSeconds(1), "pgbackup_sandbox", source, TimeSpan.FromSeconds(10));
        var r = Rank("healthy.json", archive.SourceRules(Default));
        Assert.Equal(expected.Split(' '), r.Candidates.Select(c => c.Member.Name));
        var setting = "archive.source: " + ArchiveSourceNames.Name(source);
        if (source == ArchiveSource.Leader)
            Assert.Equal($"replica ({setting}: only the leader)", Reason(r, "m2"));
        else
            Assert.Contains(setting, source == ArchiveSource.ReplicaOnly ? Reason(r, "m1") : r.Candidates[^1].Why);
    }

    [Fact]
    public void Right_after_a_failover_with_no_replica_back_yet_the_archiver_streams_from_the_new_leader()
    {
        var archive = new ArchiveSettings(TimeSpan.FromSeconds(1), "pgbackup_sandbox", ArchiveSource.ReplicaPreferred, TimeSpan.FromSeconds(10));
        Assert.True(Assert.Single(Rank("only-leader.json", archive.SourceRules(Default)).Candidates).Member.IsLeader);
    }

    [Theory]
    [InlineData("<html>502 Bad Gateway</html>")]
    [InlineData("{\"state\": \"running\"}")]
    [InlineData("{\"members\": [{\"role\": \"replica\"}]}")]
    public void Garbage_from_the_API_is_a_source_error_naming_the_url(string body)
    {
        var e = Assert.Throws<SourceUnavailableException>(() => PatroniClusterParser.Parse(body, new Uri("http://127.0.0.1:15410/")));
        Assert.Contains("http://127.0.0.1:15410/", e.Message);
    }
}
