using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Incremental;

/// <summary>Restores one backup of a chain with --start and asserts that the server promoted: what every chain fact builds on.</summary>
public static class ChainRestore
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(240);

    public static async Task RestoreAndStartAsync(string policyPath, RestoredDirectory into, ITestOutputHelper output, params string[] target)
    {
        var run = await PgBackupCli.RunAsync(["restore", "--policy", policyPath, .. into.RestoreArgs, "--start", .. target], Timeout);
        output.WriteLine(run.ToString());
        Assert.True(run.ExitCode == 0, $"{run}\n--- recovery log\n{into.RecoveryLog}");
        Assert.Contains("recovery    promoted", run.Stdout);
    }
}
