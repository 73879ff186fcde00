using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Backup;

/// <summary>
/// Bad input that needs no restore history: `restore` refuses with exit code 2, one error line,
/// and writes nothing. A non-empty PGDATA is refused in Restore/RestoreFacts.BadInput.cs.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class RestoreInputFacts(SandboxFixture fixture, ITestOutputHelper output) : IDisposable
{
    private readonly BackupTestbed _bed = new(fixture);

    [Fact]
    public async Task Restore_of_an_unknown_backup_id_exits_2_and_writes_nothing()
    {
        var (repository, _) = await _bed.SharedLocalBackupAsync();
        var pgData = _bed.NewPath("pgdata");

        var restore = await RestoreAsync(repository, "--backup", "19990101T000000Z", "--pgdata", pgData);

        Assert.Equal(2, restore.ExitCode);
        Assert.Contains("19990101T000000Z", Assert.Single(restore.ErrorLines));
        Assert.False(Path.Exists(pgData));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("=/tmp/somewhere")]
    [InlineData("16385=")]
    [InlineData("-1=/tmp/somewhere")]
    [InlineData("ts=/tmp/somewhere")]
    [InlineData("4294967296=/tmp/somewhere")]
    [InlineData("99999=/tmp/somewhere")]
    public async Task Restore_with_a_bad_tablespace_map_exits_2_and_writes_nothing(string map)
    {
        var (repository, id) = await _bed.SharedLocalBackupAsync();
        var pgData = _bed.NewPath("pgdata");

        var restore = await RestoreAsync(repository, "--backup", id, "--pgdata", pgData, "--tablespace-map", map);

        Assert.Equal(2, restore.ExitCode);
        Assert.Contains("--tablespace-map", Assert.Single(restore.ErrorLines));
        Assert.False(Path.Exists(pgData));
    }

    private async Task<CliResult> RestoreAsync(string repository, params string[] args)
    {
        var result = await PgBackupCli.RunAsync(["restore", "--policy", _bed.LocalPolicy(repository), "--port", "5999", .. args]);
        output.WriteLine(result.ToString());
        return result;
    }

    public void Dispose() => _bed.Dispose();
}
