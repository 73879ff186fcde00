using System.Formats.Tar;
using PgBackup.Postgres.Replication;
using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;
using ZstdSharp;

namespace PgBackup.Tests.Integration.Replication;

[Collection(SandboxCollection.Name)]
public sealed class BaseBackupFacts(SandboxFixture fixture, ITestOutputHelper output)
{
    private readonly ReplicationSandbox _sandbox = new(fixture);

    [Fact]
    public async Task Base_backup_from_a_replica_streams_a_tar_with_backup_label_first_and_pg_control_last_then_the_manifest()
    {
        var (archives, backup) = await RunBackupAsync(new BaseBackupOptions { Label = "pgbackup-test" }, content => content);

        Assert.Equal(["base.tar", "backup_manifest"], archives.Select(a => a.Name));
        var entries = archives[0].Entries;
        Assert.Equal("backup_label", entries[0]);
        Assert.Equal("global/pg_control", entries[^1]);
        Assert.Contains("standby.signal", entries);
        Assert.Contains("PostgreSQL-Backup-Manifest-Version", archives[1].Text);
        Assert.True(backup.BytesReceived > 0);
        Assert.True(backup.BytesDoneReportedByServer > 0);
        Assert.NotNull(backup.TotalEstimate);
    }

    [Fact]
    public async Task Base_backup_with_server_side_zstd_sends_zstd_archives()
    {
        var options = new BaseBackupOptions { Compression = "zstd", CompressionDetail = "level=3,workers=2" };
        var (archives, _) = await RunBackupAsync(options, content => new DecompressionStream(content));

        Assert.Equal(["base.tar.zst", "backup_manifest"], archives.Select(a => a.Name));
        Assert.Equal("backup_label", archives[0].Entries[0]);
        Assert.Equal("global/pg_control", archives[0].Entries[^1]);
    }

    private sealed record ReadArchive(string Name, List<string> Entries, string Text);

    /// <summary>Runs a backup on the replica, reads every archive, and checks the LSNs and that the connection is reusable afterwards.</summary>
    private async Task<(List<ReadArchive>, BaseBackupStream)> RunBackupAsync(BaseBackupOptions options, Func<Stream, Stream> decode)
    {
        await using var connection = await _sandbox.OpenReplicaAsync();
        var archives = new List<ReadArchive>();
        await using var backup = await connection.StartBaseBackupAsync(options, CancellationToken.None);
        Assert.True(backup.StartLsn.IsValid);
        Assert.Contains(backup.Tablespaces, t => t.Oid is null && t.Location is null);

        while (await backup.NextArchiveAsync(CancellationToken.None) is { } archive)
        {
            if (archive.IsManifest)
            {
                using var reader = new StreamReader(archive.Content);
                archives.Add(new ReadArchive(archive.Name, [], await reader.ReadToEndAsync()));
                continue;
            }
            var entries = new List<string>();
            await using var tar = new TarReader(decode(archive.Content));
            while (await tar.GetNextEntryAsync(copyData: false) is { } entry)
                entries.Add(entry.Name);
            archives.Add(new ReadArchive(archive.Name, entries, ""));
        }

        output.WriteLine($"start {backup.StartLsn} tli {backup.StartTimeline}, end {backup.EndLsn} tli {backup.EndTimeline}, {backup.BytesReceived} bytes received, server reported {backup.BytesDoneReportedByServer} of ~{backup.TotalEstimate}");
        Assert.True(backup.EndLsn >= backup.StartLsn);
        Assert.Equal(backup.StartTimeline, backup.EndTimeline);
        Assert.True((await connection.IdentifySystemAsync(CancellationToken.None)).XLogPos.IsValid);
        return (archives, backup);
    }
}
