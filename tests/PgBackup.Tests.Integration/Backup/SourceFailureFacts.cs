using System.Text.Json;
using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Backup;

/// <summary>
/// The replica a backup copies from crashes mid-copy. Without retries the backup fails
/// cleanly (one-line reason, source/operation exit code, nothing listed); with --retry 1 it
/// succeeds from another replica. The cluster is healthy again before the test ends.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class SourceFailureFacts(SandboxFixture fixture, ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    private readonly BackupTestbed _bed = new(fixture);

    [Fact]
    public async Task Source_crash_mid_copy_fails_cleanly_and_retry_succeeds_from_another_replica()
    {
        await _bed.DatasetAsync();
        var policy = _bed.LocalPolicy(_bed.NewDirectory("repo"));
        try
        {
            var failed = await BackupWithSourceCrashAsync(policy);
            Assert.True(failed.Result.ExitCode is 3 or 5, failed.Result.ToString());
            var reason = Assert.Single(failed.Result.ErrorLines);
            Assert.Contains(failed.Source, reason);
            Assert.Empty(await BackupTestbed.ListAsync(policy, all: true));

            await WaitUntilHealthyAsync();
            var retried = await BackupWithSourceCrashAsync(policy, "--retry", "1", "--json");
            Assert.True(retried.Result.ExitCode == 0, retried.Result.ToString());
            Assert.Contains("retrying from the next healthiest member", retried.Result.Stderr);
            var listed = Assert.Single(await BackupTestbed.ListAsync(policy));
            var (_, _, leader) = await _bed.ClusterAsync(policy);
            Assert.NotEqual(retried.Source, listed.GetProperty("source").GetString());
            Assert.NotEqual(leader, listed.GetProperty("source").GetString());
            Assert.Equal(JsonDocument.Parse(retried.Result.Stdout).RootElement.GetProperty("id").GetString(), listed.GetProperty("id").GetString());
            Assert.Single(await BackupTestbed.ListAsync(policy, all: true));
        }
        finally
        {
            await WaitUntilHealthyAsync();
        }
    }

    /// <summary>Runs `pgbackup backup ARGS` and crashes the member it copies from (the one `cluster` picks) mid-copy.</summary>
    private async Task<(CliResult Result, string Source)> BackupWithSourceCrashAsync(string policy, params string[] args)
    {
        var (source, ports, _) = await _bed.ClusterAsync(policy);
        using var backup = await SourceCrash.BackupWithCrashMidCopyAsync(_bed, source, ports[source], ["backup", "--policy", policy, .. args], Deadline);
        var result = await backup.WaitAsync(Deadline);
        output.WriteLine($"crashed {source}; {result}");
        return (result, source);
    }

    /// <summary>Patroni restarts a crashed member by itself; `sandbox.sh status` says when all three stream again.</summary>
    private async Task WaitUntilHealthyAsync()
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            try
            {
                fixture.Sandbox("status");
                await _bed.WaitForReplicasAsync(Deadline);
                return;
            }
            catch (Exception e) when (e is InvalidOperationException or Npgsql.NpgsqlException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
        }
    }

    public void Dispose() => _bed.Dispose();
}
