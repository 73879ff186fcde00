using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Backup;

/// <summary>
/// A damaged or missing object in a local-directory repository makes restore refuse with
/// exit code 4 (repository inconsistent) and a message that names the object. Each test damages
/// its own copy of one backup's repository.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class CorruptRepositoryFacts(SandboxFixture fixture, ITestOutputHelper output) : IDisposable
{
    private readonly BackupTestbed _bed = new(fixture);

    [Fact]
    public async Task Restore_refuses_a_pack_with_a_flipped_byte_and_names_it()
    {
        var (policy, backup) = await DamagedCopyAsync();
        FlipByteInTheMiddle(Path.Combine(backup, "data", "000001.pack"));
        await AssertRestoreRefusesAsync(policy, "data/000001.pack");
    }

    [Fact]
    public async Task Restore_refuses_a_wal_object_with_a_flipped_byte_and_names_it()
    {
        var (policy, backup) = await DamagedCopyAsync();
        var wal = Directory.GetFiles(Path.Combine(backup, "wal")).Order(StringComparer.Ordinal).First();
        FlipByteInTheMiddle(wal);
        await AssertRestoreRefusesAsync(policy, "wal/" + Path.GetFileName(wal));
    }

    [Fact]
    public async Task Restore_refuses_a_missing_pack_and_names_it()
    {
        var (policy, backup) = await DamagedCopyAsync();
        File.Delete(Path.Combine(backup, "data", "000002.pack"));
        await AssertRestoreRefusesAsync(policy, "data/000002.pack");
    }

    private async Task AssertRestoreRefusesAsync(string policy, string objectKey)
    {
        var pgData = _bed.NewPath("pgdata");
        var restore = await PgBackupCli.RunAsync("restore", "--policy", policy, "--backup", "latest", "--pgdata", pgData, "--port", "5999");
        output.WriteLine(restore.ToString());
        Assert.Equal(4, restore.ExitCode);
        var error = Assert.Single(restore.ErrorLines);
        Assert.Contains(objectKey, error);
    }

    /// <summary>A policy for a copy of the shared backup's repository, and the copied backup's folder to damage.</summary>
    private async Task<(string Policy, string BackupFolder)> DamagedCopyAsync()
    {
        var (pristine, id) = await _bed.SharedLocalBackupAsync();
        var copy = _bed.NewDirectory("repo");
        CopyDirectory(pristine, copy);
        return (_bed.LocalPolicy(copy), _bed.BackupFolder(copy, id));
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }

    private static void FlipByteInTheMiddle(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        var middle = file.Length / 2;
        file.Position = middle;
        var b = file.ReadByte();
        file.Position = middle;
        file.WriteByte((byte)(b ^ 0xFF));
    }

    public void Dispose() => _bed.Dispose();
}
