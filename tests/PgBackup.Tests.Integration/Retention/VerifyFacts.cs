using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Retention;

/// <summary>`pgbackup verify` finds and names every damaged or missing object of a backup and its WAL window.</summary>
[Collection(SandboxCollection.Name)]
public sealed class VerifyFacts(VerifiedRepository verified) : IClassFixture<VerifiedRepository>
{
    [Fact]
    public async Task An_intact_backup_and_its_wal_verify()
    {
        var result = await verified.Repo.RunAsync("verify");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"archived WAL segment\(s\) up to .*: ok", result.Stdout);
    }

    [Fact]
    public async Task A_flipped_byte_in_a_pack_is_named()
    {
        var pack = Directory.GetFiles(Path.Combine(verified.BackupDirectory, "data"))[0];
        using (VerifiedRepository.FlipByte(pack))
            await AssertFaultAsync($"data/{Path.GetFileName(pack)}");
    }

    [Fact]
    public async Task A_flipped_byte_in_an_archived_wal_segment_is_named()
    {
        var segment = verified.MiddleWalSegment();
        using (VerifiedRepository.FlipByte(segment))
            await AssertFaultAsync(Path.GetFileName(segment));
    }

    [Fact]
    public async Task A_flipped_byte_in_the_postgres_manifest_is_named()
    {
        using (VerifiedRepository.FlipByte(Path.Combine(verified.BackupDirectory, "backup_manifest.zst")))
            await AssertFaultAsync("backup_manifest.zst");
    }

    /// <summary>manifest.json carries no checksum of its own: a flip that keeps it valid JSON is caught only where it touches a size or hash.</summary>
    [Fact]
    public async Task An_unreadable_manifest_json_is_named()
    {
        using (VerifiedRepository.FlipByte(Path.Combine(verified.BackupDirectory, "manifest.json"), at: 0))
        {
            var result = await verified.Repo.RunAsync("verify", verified.BackupId);
            Assert.Equal(4, result.ExitCode);
            Assert.Contains("manifest.json", Assert.Single(result.StderrLines));
        }
    }

    [Fact]
    public async Task A_missing_wal_segment_is_a_gap()
    {
        var segment = verified.MiddleWalSegment();
        using (VerifiedRepository.Remove(segment))
            await AssertFaultAsync($"{Path.GetFileName(segment)}: missing");
    }

    private async Task AssertFaultAsync(string named)
    {
        var result = await verified.Repo.RunAsync("verify", "--all");
        Assert.Equal(4, result.ExitCode);
        var error = Assert.Single(result.StderrLines);
        Assert.StartsWith("error: verify found", error);
        Assert.Contains(result.Stdout.Split('\n'), line => line.Contains("FAULT", StringComparison.Ordinal) && line.Contains(named, StringComparison.Ordinal));
    }
}
