using System.Diagnostics;
using System.Security.Cryptography;
using PgBackup.Repository;
using PgBackup.Tests.Integration.Backup;
using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Wal;

/// <summary>
/// A repository that is not the policy's is configuration, not a passing failure: `archive`
/// exits 4 at once with one error line instead of retrying it forever.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class ArchiveConfigurationErrorFacts(SandboxFixture fixture) : IDisposable
{
    private static readonly TimeSpan AtOnce = TimeSpan.FromSeconds(30);

    private readonly BackupTestbed _bed = new(fixture);

    [Fact]
    public async Task Archive_with_another_encryption_key_than_the_repositorys_exits_4_at_once_with_one_line()
    {
        var repository = _bed.NewDirectory("repo");
        await CreateRepositoryAsync(_bed.LocalPolicy(repository, "server", "encryption_key_file: " + KeyFile("key-a")), "7000000000000000001");
        var policy = _bed.LocalPolicy(repository, "server", "encryption_key_file: " + KeyFile("key-b"));

        var run = await RunArchiveAsync(policy);

        Assert.Equal(4, run.ExitCode);
        Assert.Contains("encryption key is not this repository's key", OneErrorLine(run));
    }

    [Fact]
    public async Task Archive_into_another_database_systems_repository_exits_4_at_once_with_one_line()
    {
        var repository = _bed.NewDirectory("repo");
        var policy = _bed.LocalPolicy(repository);
        await CreateRepositoryAsync(policy, "7000000000000000001");

        var run = await RunArchiveAsync(policy);

        Assert.Equal(4, run.ExitCode);
        Assert.Contains("belongs to database system 7000000000000000001", OneErrorLine(run));
    }

    /// <summary>repo.json as the first backup of another cluster would have written it.</summary>
    private static async Task CreateRepositoryAsync(string policyFile, string systemIdentifier)
    {
        using var repository = BackupTestbed.OpenRepository(policyFile);
        await RepositoryDescriptor.OpenOrCreateAsync(repository.Store, repository.Layout, new RepositoryDescriptor
        {
            SystemIdentifier = systemIdentifier,
            PgMajor = 15,
            ChunkSize = RepositoryDescriptor.DefaultChunkSize,
            CreatedAt = DateTimeOffset.UtcNow,
            KeyCheck = repository.Codec.Key?.KeyCheck,
        });
    }

    private static async Task<CliResult> RunArchiveAsync(string policy)
    {
        var clock = Stopwatch.StartNew();
        // Before the fix this never ended: the deadline turns "retries forever" into a failure.
        var run = await PgBackupCli.RunAsync(["archive", "--policy", policy], AtOnce);
        Assert.True(clock.Elapsed < AtOnce, run.ToString());
        return run;
    }

    private static string OneErrorLine(CliResult run)
    {
        var line = Assert.Single(run.ErrorLines);
        Assert.DoesNotContain(run.StderrLines, l => l.Contains(" ERR ", StringComparison.Ordinal) || l.Contains(" WRN ", StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", run.Stderr);
        return line;
    }

    private string KeyFile(string name)
    {
        var path = Path.Combine(_bed.NewDirectory("keys"), name);
        File.WriteAllText(path, RandomNumberGenerator.GetHexString(64) + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    public void Dispose() => _bed.Dispose();
}
