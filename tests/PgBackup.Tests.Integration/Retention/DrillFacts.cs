using System.Text.Json;
using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Retention;

/// <summary>`pgbackup drill` proves the newest backup restores, measures how long, and fails when it cannot.</summary>
[Collection(SandboxCollection.Name)]
public sealed class DrillFacts(VerifiedRepository verified) : IClassFixture<VerifiedRepository>
{
    [Fact]
    [Trait(Smoke.Trait, Smoke.Yes)]
    public async Task Passes_on_the_sandbox_and_reports_a_recovery_time()
    {
        var result = await verified.Repo.RunAsync("drill", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var report = JsonDocument.Parse(result.Stdout);
        var root = report.RootElement;
        Assert.True(root.GetProperty("success").GetBoolean());
        Assert.Equal(verified.ChunkedBackupId, root.GetProperty("backupId").GetString()); // the newest
        Assert.InRange(root.GetProperty("usableSeconds").GetDouble(), 0.1, 300);
        Assert.Equal(["restore", "recovery", "target", "connect", "counts", "amcheck"],
            root.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Contains(root.GetProperty("databases").EnumerateArray(), d => d.GetProperty("name").GetString() == "postgres" && d.GetProperty("tables").GetInt64() >= 1);
        // Stored for serve's /metrics, and cleaned up after itself.
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(verified.Repo.ClusterRoot, "drills"), "*.json"));
        Assert.Equal(JsonValueKind.Null, root.GetProperty("keptDataDirectory").ValueKind);
    }

    [Fact]
    public async Task Fails_when_a_wal_segment_is_missing()
    {
        using (VerifiedRepository.Remove(verified.MiddleWalSegment()))
        {
            var result = await verified.Repo.RunAsync("drill");
            Assert.Equal(5, result.ExitCode);
            Assert.Contains("FAIL  restore", result.Stdout);
            Assert.StartsWith("error: drill failed at restore", Assert.Single(result.StderrLines));
        }
    }
}
