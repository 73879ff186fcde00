using Hangfire;

namespace PgBackup.Cli.Serve.Jobs;

/// <summary>
/// Makes a bad policy file visible where operators look: a failed job in the dashboard whose
/// reason is the loader's one line (file, line, key).
/// </summary>
internal sealed class PolicyErrorJob
{
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("policy {0} is invalid")]
    public void Report(string file, string reason) => throw new JobFailedException(reason);
}
