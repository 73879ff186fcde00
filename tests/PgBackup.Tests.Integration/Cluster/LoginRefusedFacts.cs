using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Cluster;

/// <summary>
/// A wrong database password is one error line (not one warning per member before the error)
/// naming the member, the user and what to check, whatever the verb.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class LoginRefusedFacts(SandboxFixture fixture)
{
    [Theory]
    [InlineData("backup")]
    [InlineData("backup", "--retry", "2")]
    public async Task A_wrong_password_is_one_error_line_naming_member_user_and_what_to_check(params string[] verb)
    {
        using var policy = PolicyFile.Create(fixture.Endpoints.PatroniUrls, fixture.Endpoints.ReplicationUser, "not-the-password");

        var run = await PgBackupCli.RunAsync([.. verb, "--policy", policy.Path], TimeSpan.FromSeconds(60));

        Assert.Equal(3, run.ExitCode);
        var line = Assert.Single(run.StderrLines);
        Assert.Matches($"^error: m[123] \\(127\\.0\\.0\\.1:\\d+\\) refused the login of user \"{fixture.Endpoints.ReplicationUser}\": password authentication failed", line);
        Assert.Contains("password_file", line);
        Assert.Contains("pg_hba.conf", line);
        Assert.DoesNotContain("not-the-password", run.Stdout + run.Stderr);
    }
}
