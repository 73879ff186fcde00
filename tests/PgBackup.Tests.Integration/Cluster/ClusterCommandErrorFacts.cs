using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Cluster;

/// <summary>
/// DESIGN.md's error contract as a user of `pgbackup cluster` meets it: one `error:` line on
/// stderr, no stack trace, exit code by class. None of these needs the sandbox.
/// </summary>
public sealed class ClusterCommandErrorFacts
{
    [Fact]
    public async Task Patroni_urls_on_closed_ports_exit_3_with_one_error_line_and_no_stack_trace()
    {
        var urls = new[] { LoopbackPort.Closed(), LoopbackPort.Closed() }.Select(p => $"http://127.0.0.1:{p}").ToList();
        using var policy = PolicyFile.Create(urls, "pgbackup", "irrelevant-password");

        var run = await PgBackupCli.RunAsync("cluster", "--policy", policy.Path);

        Assert.Equal(3, run.ExitCode);
        var line = OneErrorLine(run);
        Assert.Contains("no Patroni REST API answered", line);
        foreach (var url in urls) Assert.Contains(url, line);
        Assert.DoesNotContain("irrelevant-password", run.Stdout + run.Stderr);
    }

    [Fact]
    public async Task A_misspelt_policy_key_exits_2_naming_the_file_line_and_key()
    {
        using var policy = PolicyFile.Create(["http://127.0.0.1:1"], "pgbackup", "pw", extraConnectionLines: ["conect_timeout: 5s"]);
        var line = Array.FindIndex(File.ReadAllLines(policy.Path), l => l.Contains("conect_timeout", StringComparison.Ordinal)) + 1;

        var run = await PgBackupCli.RunAsync("cluster", "--policy", policy.Path);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"error: {policy.Path}:{line}: connection.conect_timeout: unknown key", OneErrorLine(run));
    }

    [Theory]
    [InlineData("cluster: [main\npatroni: x\n", 1, "not valid YAML")]
    [InlineData("cluster: main\npatroni:\n\turls: [x]\n", 3, "a tab in the indentation")]
    [InlineData("cluster: main\ncluster: other\n", 2, "'cluster' appears twice")]
    [InlineData("- cluster: main\n", 1, "not a list")]
    [InlineData("", 1, "the policy file is empty")]
    public async Task Malformed_yaml_exits_2_with_one_line_naming_file_and_line(string yaml, int line, string problem)
    {
        var directory = Directory.CreateTempSubdirectory("pgbackup-malformed-");
        try
        {
            var path = Path.Combine(directory.FullName, "policy.yaml");
            await File.WriteAllTextAsync(path, yaml);

            var run = await PgBackupCli.RunAsync("list", "--policy", path);

            Assert.Equal(2, run.ExitCode);
            var error = OneErrorLine(run);
            Assert.StartsWith($"error: {path}:{line}: ", error);
            Assert.Contains(problem, error);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_misspelt_required_key_is_named_with_the_key_it_meant()
    {
        using var policy = PolicyFile.Create(["http://127.0.0.1:1"], "pgbackup", "pw");
        File.WriteAllText(policy.Path, File.ReadAllText(policy.Path).Replace("  user: pgbackup", "  usr: pgbackup"));

        var run = await PgBackupCli.RunAsync("cluster", "--policy", policy.Path);

        Assert.Equal(2, run.ExitCode);
        Assert.Matches($"^error: {System.Text.RegularExpressions.Regex.Escape(policy.Path)}:\\d+: connection\\.usr: unknown key; did you mean 'user'\\?", OneErrorLine(run));
    }

    [Theory]
    [InlineData("restore", "--timeline", "abc", "--timeline 'abc' is not a timeline number")]
    [InlineData("check", "--max-lag", "-5", "--max-lag '-5' is not a number of seconds from 1 to")]
    public async Task A_bad_option_value_exits_2_with_one_line_in_words(string verb, string option, string value, string expected)
    {
        var run = await PgBackupCli.RunAsync(verb, "--policy", "/nonexistent.yaml", option, value);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: " + expected, OneErrorLine(run));
    }

    [Fact]
    public async Task A_drill_scratch_directory_that_cannot_be_created_exits_2_with_one_line()
    {
        using var policy = PolicyFile.Create(["http://127.0.0.1:1"], "pgbackup", "pw");

        var run = await PgBackupCli.RunAsync("drill", "--policy", policy.Path, "--scratch", "/proc/pgbackup-scratch");

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: cannot create the scratch directory /proc/pgbackup-scratch", OneErrorLine(run));
    }

    [Fact]
    public async Task A_missing_policy_option_exits_2_with_one_error_line()
    {
        var run = await PgBackupCli.RunAsync("cluster");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--policy", OneErrorLine(run));
    }

    private static string OneErrorLine(CliResult run)
    {
        var line = Assert.Single(run.StderrLines);
        Assert.StartsWith("error: ", line);
        Assert.DoesNotContain("Exception", run.Stderr);
        Assert.DoesNotContain("   at ", run.Stderr);
        return line;
    }
}
