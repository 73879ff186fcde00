using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using PgBackup.Cluster;
using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Cluster;

/// <summary>
/// The source decision as cluster tests see it: asked of the engine (<see cref="SourceSelector"/>)
/// and of the real `pgbackup cluster --json`, and checked against SQL on the chosen member.
/// </summary>
public sealed class ClusterSandbox(SandboxFixture fixture, ITestOutputHelper output)
{
    public SandboxFixture Fixture => fixture;

    public SandboxSql Sql { get; } = new(fixture.Endpoints);

    public static Task<SourceDecision> DecideAsync(PolicyFile policy) =>
        new SourceSelector(policy.Load(), NullLogger.Instance).DecideAsync(new HashSet<string>(), probeEveryone: false, CancellationToken.None);

    /// <summary>The engine picks a member that SQL confirms is a streaming replica; returns its name.</summary>
    public async Task<string> EnginePicksAStreamingReplicaAsync(PolicyFile policy)
    {
        var decision = await DecideAsync(policy);
        var chosen = decision.Chosen ?? throw new Xunit.Sdk.XunitException("no source chosen: " + Explain(decision));
        output.WriteLine($"engine chose {chosen.Member.Name}: {chosen.Verdict}");
        Assert.True(chosen.Member.IsReplica, $"{chosen.Member.Name} has role {chosen.Member.Role}");
        await AssertStreamingReplicaAsync(chosen.Member.Name);
        return chosen.Member.Name;
    }

    /// <summary>`pgbackup cluster --json` exits 0, its output parses and names a source that SQL confirms is a streaming replica.</summary>
    public async Task<string> CliPicksAStreamingReplicaAsync(PolicyFile policy)
    {
        var run = await PgBackupCli.RunAsync("cluster", "--policy", policy.Path, "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        var source = json.RootElement.GetProperty("source").GetString();
        Assert.False(string.IsNullOrEmpty(source), run.ToString());
        var member = json.RootElement.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("name").GetString() == source);
        Assert.True(member.GetProperty("chosen").GetBoolean(), run.ToString());
        Assert.Equal("replica", member.GetProperty("role").GetString());
        output.WriteLine($"pgbackup cluster chose {source}: {member.GetProperty("decision").GetString()}");
        await AssertStreamingReplicaAsync(source!);
        return source!;
    }

    public async Task AssertStreamingReplicaAsync(string member)
    {
        var state = await Sql.StateOfAsync(member);
        Assert.True(state.IsStreamingReplica, $"{member} was chosen but SQL says: {state}");
    }

    public static string Explain(SourceDecision d) =>
        string.Join("; ", d.Members.Select(m => $"{m.Member.Name} {m.Member.Role}/{m.Member.State}: {m.Verdict}").Concat(d.Notes));
}
