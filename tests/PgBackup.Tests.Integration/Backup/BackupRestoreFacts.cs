using System.Text.Json;
using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Backup;

/// <summary>A backup of a replica, to s3rver and to a directory, restores into a server that starts with the source's data.</summary>
[Collection(SandboxCollection.Name)]
public sealed class BackupRestoreFacts(SandboxFixture fixture, ITestOutputHelper output) : IDisposable
{
    private readonly BackupTestbed _bed = new(fixture);

    [Fact]
    public Task Backup_of_a_replica_to_s3_restores_verifies_and_starts_with_the_source_data() =>
        BackupAndRestoreAsync(_bed.S3Policy(BackupTestbed.UniquePrefix("roundtrip")));

    [Fact]
    [Trait(Smoke.Trait, Smoke.Yes)]
    public Task Backup_of_a_replica_to_a_directory_restores_verifies_and_starts_with_the_source_data() =>
        BackupAndRestoreAsync(_bed.LocalPolicy(_bed.NewDirectory("repo")));

    [Fact]
    public Task Client_compressed_backup_to_a_directory_restores_verifies_and_starts_with_the_source_data() =>
        BackupAndRestoreAsync(_bed.LocalPolicy(_bed.NewDirectory("repo"), compression: "client"));

    private async Task BackupAndRestoreAsync(string policy)
    {
        var dataset = await _bed.DatasetAsync();
        var (expectedSource, _, leader) = await _bed.ClusterAsync(policy);

        var backup = await PgBackupCli.RunAsync("backup", "--policy", policy, "--json");
        output.WriteLine(backup.Stderr);
        Assert.True(backup.ExitCode == 0, backup.ToString());
        var id = JsonDocument.Parse(backup.Stdout).RootElement.GetProperty("id").GetString()!;

        var listed = Assert.Single(await BackupTestbed.ListAsync(policy));
        AssertListed(listed, id, expectedSource, leader);

        var pgData = _bed.NewPath("pgdata");
        var port = RestoredServer.FreePort();
        var restore = await PgBackupCli.RunAsync("restore", "--policy", policy, "--backup", id, "--pgdata", pgData, "--port", port.ToString());
        Assert.True(restore.ExitCode == 0, restore.ToString());
        var (verify, verifyOutput) = await RestoredServer.VerifyBackupAsync(pgData);
        Assert.True(verify == 0, "pg_verifybackup: " + verifyOutput);

        await using var server = await RestoredServer.StartAsync(pgData, port);
        Assert.Equal(dataset.KnownChecksum, await _bed.ScalarAsync<string>(port, BackupTestbed.Database, SourceDataset.ChecksumSql));
        foreach (var (table, count) in dataset.PgbenchCounts)
            Assert.Equal(count, await _bed.ScalarAsync<long>(port, BackupTestbed.Database, $"SELECT count(*) FROM {table}"));
        // It accepts read-only queries once consistent; then it replays the rest and promotes.
        Assert.True(await _bed.PromotedWithinAsync(port, TimeSpan.FromSeconds(60)), "the restored server did not leave recovery");
    }

    private static void AssertListed(JsonElement listed, string id, string expectedSource, string leader)
    {
        Assert.Equal(id, listed.GetProperty("id").GetString());
        Assert.Equal("complete", listed.GetProperty("status").GetString());
        var source = listed.GetProperty("source").GetString();
        Assert.Equal(expectedSource, source);
        Assert.NotEqual(leader, source);
        var start = listed.GetProperty("startTime").GetDateTimeOffset();
        Assert.True(listed.GetProperty("endTime").GetDateTimeOffset() >= start);
        Assert.Matches("^[0-9A-F]+/[0-9A-F]+$", listed.GetProperty("startLsn").GetString());
        Assert.Matches("^[0-9A-F]+/[0-9A-F]+$", listed.GetProperty("endLsn").GetString());
        Assert.True(listed.GetProperty("timeline").GetInt32() >= 1);
        Assert.True(listed.GetProperty("databaseSize").GetInt64() > 100_000_000, "pgbench -s 5 plus 40 MB of noise weighs over 100 MB");
        var stored = listed.GetProperty("storedSize").GetInt64();
        Assert.InRange(stored, 1, listed.GetProperty("databaseSize").GetInt64());
        Assert.True(listed.GetProperty("durationSeconds").GetDouble() >= 0);
        Assert.True(listed.GetProperty("rateMBps").ValueKind is JsonValueKind.Number or JsonValueKind.Null);
    }

    public void Dispose() => _bed.Dispose();
}
