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
    public string Sandbox(params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add(Path.Combine(SandboxEndpoints.RepositoryRoot(), "scripts", "sandbox.sh"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PGBACKUP_SANDBOX_DIR"] = Endpoints.Directory;
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"sandbox.sh {string.Join(' ', args)} failed ({p.ExitCode}): {stderr.Result}");
        return stdout.Result;
    }
}

[CollectionDefinition(Name)]
public sealed class SandboxCollection : ICollectionFixture<SandboxFixture>
{
    public const string Name = "sandbox";
}
