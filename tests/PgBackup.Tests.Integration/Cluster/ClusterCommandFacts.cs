using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Cluster;

/// <summary>The real `pgbackup cluster` executable against the live sandbox.</summary>
[Collection(SandboxCollection.Name)]
public sealed class ClusterCommandFacts(SandboxFixture fixture, ITestOutputHelper output)
{
    private readonly ClusterSandbox _cluster = new(fixture, output);

    [Fact]
    public async Task Json_output_parses_and_names_a_streaming_replica_as_the_source()
    {
        using var policy = PolicyFile.ForSandbox(fixture.Endpoints);
        var leader = await _cluster.Sql.LeaderAsync();

        Assert.NotEqual(leader, await _cluster.CliPicksAStreamingReplicaAsync(policy));
    }

    [Fact]
    public async Task Table_output_lists_every_member_and_names_the_source()
    {
        using var policy = PolicyFile.ForSandbox(fixture.Endpoints);

        var run = await PgBackupCli.RunAsync("cluster", "--policy", policy.Path);

        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (var member in fixture.Endpoints.Members) Assert.Contains(member, run.Stdout);
        var source = Assert.Single(run.Stdout.Split('\n'), l => l.StartsWith("source: ", StringComparison.Ordinal));
        await _cluster.AssertStreamingReplicaAsync(source.Split(' ')[1]);
    }
}
