namespace PgBackup.Tests.Integration.Sandbox;

/// <summary>
/// One sandbox per test run (DESIGN.md): the test command starts it before `dotnet test`; this
/// fixture only reads its endpoints, so every integration test talks to the same live cluster.
/// </summary>
public sealed class SandboxFixture
{
    public SandboxFixture() => Endpoints = SandboxEndpoints.Load();

    public SandboxEndpoints Endpoints { get; }

    /// <summary>Runs `scripts/sandbox.sh ARGS` and returns its stdout; throws on failure.</summary>
    public string Sandbox(params string[] args) => RunScript(Endpoints, Path.Combine("scripts", "sandbox.sh"), args);

    /// <summary>
    /// Runs a sandbox script of the repository (<paramref name="script"/> relative to its root) on
    /// the sandbox of <paramref name="endpoints"/>, never another's; returns its stdout, throws on failure.
    /// </summary>
    public static string RunScript(SandboxEndpoints endpoints, string script, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add(Path.Combine(SandboxEndpoints.RepositoryRoot(), script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PGBACKUP_SANDBOX_DIR"] = endpoints.Directory;
        psi.Environment["PGBACKUP_SANDBOX_PORT_BASE"] = endpoints.PortBase.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{script} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr.Result}");
        return stdout.Result;
    }

    /// <summary>Returns once there is a leader and every other member streams from it (sandbox.sh wait-healthy).</summary>
    public void WaitHealthy() => Sandbox("wait-healthy");

    /// <summary>
    /// kill -9 of a member's postmaster, the way a crash looks (Patroni keeps running). The pid
    /// comes from PGDATA/postmaster.pid and must belong to this sandbox's postgres.
    /// </summary>
    public int KillPostmaster(string member)
    {
        var dataDir = Path.Combine(Endpoints.RunDirectory, member, "data");
        var pid = int.Parse(File.ReadLines(Path.Combine(dataDir, "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);
        var commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        if (!commandLine.Contains(dataDir, StringComparison.Ordinal))
            throw new InvalidOperationException($"pid {pid} from {dataDir}/postmaster.pid is not that member's postmaster: {commandLine}");
        using var postmaster = System.Diagnostics.Process.GetProcessById(pid);
        postmaster.Kill(); // SIGKILL on Unix
        return pid;
    }
}

[CollectionDefinition(Name)]
public sealed class SandboxCollection : ICollectionFixture<SandboxFixture>
{
    public const string Name = "sandbox";
}
