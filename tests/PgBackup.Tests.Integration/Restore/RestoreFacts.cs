using System.Globalization;
using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Restore;

/// <summary>
/// `pgbackup restore` against the live sandbox: every restore recovers into
/// <see cref="RestoreHistory"/> and is judged by which marker rows the restored server holds.
/// Split into files by concern: targets, --delta, bad input.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed partial class RestoreFacts(SandboxFixture fixture, RestoreHistory history, ITestOutputHelper output) : IClassFixture<RestoreHistory>
{
    private static readonly TimeSpan RestoreTimeout = TimeSpan.FromSeconds(180);

    private SandboxFixture Fixture => fixture;

    /// <summary>Runs `pgbackup restore --policy P ARGS`, echoing what it printed into the test output.</summary>
    private async Task<CliResult> RestoreAsync(params string[] args)
    {
        var run = await PgBackupCli.RunAsync(["restore", "--policy", history.Policy.Path, .. args], RestoreTimeout);
        output.WriteLine($"pgbackup restore {string.Join(' ', args)}\n{run}");
        return run;
    }

    /// <summary>Restores into <paramref name="into"/> with --start (the server keeps running for the test to query); requires success.</summary>
    private async Task<CliResult> RestoreAndStartAsync(RestoredDirectory into, params string[] target)
    {
        var run = await RestoreAsync([.. into.RestoreArgs, "--start", .. target]);
        Assert.True(run.ExitCode == 0, $"{run}\n--- recovery log\n{into.RecoveryLog}");
        Assert.Contains("recovery    promoted", run.Stdout);
        return run;
    }

    /// <summary>The marker ids the restored server holds, in order.</summary>
    private static async Task<int[]> MarkersAsync(RestoredDirectory restored) =>
        [.. (await restored.QueryAsync($"SELECT id FROM {RestoreHistory.Table} ORDER BY id")).Select(s => int.Parse(s, CultureInfo.InvariantCulture))];

    private static int[] Upto(int last) => [.. Enumerable.Range(1, last)];

    /// <summary>The error contract (DESIGN.md): one `error:` line on stderr, the exit code of its class, no stack trace.</summary>
    private static void AssertOneErrorLine(CliResult run, int exitCode, params string[] mentions)
    {
        Assert.True(run.ExitCode == exitCode, $"expected exit {exitCode}\n{run}");
        var line = Assert.Single(run.StderrLines);
        Assert.StartsWith("error: ", line);
        foreach (var m in mentions) Assert.Contains(m, line);
        Assert.DoesNotContain("   at ", run.Stdout + run.Stderr);
    }
}
