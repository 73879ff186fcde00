using System.Diagnostics;
using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Backup;

/// <summary>
/// `backup --retry` during a failover used to give up about a second later with "no
/// member qualifies" while Patroni was still electing. With retries it waits for a member to
/// qualify, up to backup.retry_wait. A cluster whose API never answers stands in for the election.
/// </summary>
public sealed class BackupRetryWaitFacts
{
    [Fact]
    public async Task With_retries_backup_waits_up_to_retry_wait_for_a_member_to_qualify()
    {
        using var policy = UnreachableClusterPolicy("3s");
        var clock = Stopwatch.StartNew();

        var run = await PgBackupCli.RunAsync("backup", "--policy", policy.Path, "--retry", "1");

        Assert.Equal(3, run.ExitCode);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(30));
        var line = Assert.Single(run.StderrLines);
        Assert.StartsWith("error: no Patroni REST API answered", line);
        Assert.EndsWith("(after waiting 3 s, backup.retry_wait, for a member to qualify)", line);
    }

    [Fact]
    public async Task Without_retries_backup_fails_at_once()
    {
        using var policy = UnreachableClusterPolicy("30s");
        var clock = Stopwatch.StartNew();

        var run = await PgBackupCli.RunAsync("backup", "--policy", policy.Path, "--retry", "0");

        Assert.Equal(3, run.ExitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.DoesNotContain("after waiting", Assert.Single(run.StderrLines));
    }

    private static PolicyFile UnreachableClusterPolicy(string retryWait)
    {
        var policy = PolicyFile.Create([$"http://127.0.0.1:{LoopbackPort.Closed()}"], "pgbackup", "irrelevant");
        File.AppendAllText(policy.Path, $"  retry_wait: {retryWait}\n");
        return policy;
    }
}
