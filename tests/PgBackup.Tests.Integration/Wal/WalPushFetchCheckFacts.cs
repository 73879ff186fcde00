using System.Globalization;
using PgBackup.Policies;
using PgBackup.Postgres;
using PgBackup.Repository.Catalog;
using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Wal;

/// <summary>wal-push, wal-fetch and check as PostgreSQL and an operator run them: the real executable, real segments from the leader.</summary>
[Collection(SandboxCollection.Name)]
public sealed class WalPushFetchCheckFacts(SandboxFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Wal_fetch_returns_what_wal_push_stored_and_pushes_are_idempotent_but_never_overwrite()
    {
        await using var sandbox = new WalSandbox(fixture, "walpush");
        var (name, content) = (await LeaderSegmentsAsync(sandbox, 1))[0];
        var source = Path.Combine(sandbox.RepositoryPath, "..", name);
        await File.WriteAllBytesAsync(source, content);

        Assert.Equal(0, (await sandbox.RunCliAsync("wal-push", source)).ExitCode);
        Assert.Equal(0, (await sandbox.RunCliAsync("wal-push", source)).ExitCode);

        var fetched = Path.Combine(sandbox.RepositoryPath, "..", "RECOVERYXLOG");
        Assert.Equal(0, (await sandbox.RunCliAsync("wal-fetch", name, fetched)).ExitCode);
        Assert.Equal(content, await File.ReadAllBytesAsync(fetched));

        content[content.Length / 2] ^= 0xFF;
        await File.WriteAllBytesAsync(source, content);
        var conflict = await sandbox.RunCliAsync("wal-push", source);
        output.WriteLine(conflict.Stderr);
        Assert.Equal(4, conflict.ExitCode);
        Assert.Matches("archived SHA-256 [0-9a-f]{64}, pushed [0-9a-f]{64}", conflict.Stderr);

        var next = WalSegmentName.Parse(name).Next().FileName;
        var absent = await sandbox.RunCliAsync("wal-fetch", next, fetched);
        Assert.Equal(1, absent.ExitCode);
        Assert.Contains("not in the archive", absent.Stderr);
        Assert.Equal(1, (await sandbox.RunCliAsync("wal-fetch", "7FFFFFFF.history", fetched)).ExitCode);
    }

    [Fact]
    public async Task Check_passes_on_an_unbroken_archive_and_names_the_range_of_a_deleted_segment()
    {
        await using var sandbox = new WalSandbox(fixture, "walcheck");
        var segments = await LeaderSegmentsAsync(sandbox, 4);
        var timeline = WalSegmentName.Parse(segments[0].Name).Timeline;
        for (var tli = 2u; tli <= timeline; tli++)
            await PushFromLeaderAsync(sandbox, WalFileName.HistoryFileName(tli));
        foreach (var (name, content) in segments)
        {
            var file = Path.Combine(sandbox.RepositoryPath, "..", name);
            await File.WriteAllBytesAsync(file, content);
            Assert.Equal(0, (await sandbox.RunCliAsync("wal-push", file)).ExitCode);
        }

        var ok = await sandbox.RunCliAsync("check", "--max-lag", "3600");
        output.WriteLine(ok.Stdout + ok.Stderr);
        Assert.Equal(0, ok.ExitCode);

        var missing = segments[2].Name;
        var cluster = sandbox.Policy.Cluster;
        File.Delete(Path.Combine(sandbox.RepositoryPath, cluster, "wal", timeline.ToString("X8", CultureInfo.InvariantCulture), missing + ".zst"));
        var broken = await sandbox.RunCliAsync("check", "--max-lag", "3600");
        output.WriteLine(broken.Stdout + broken.Stderr);
        Assert.Equal(4, broken.ExitCode);
        Assert.Contains($"missing WAL on timeline {timeline}: {missing} (1 segment", broken.Stderr);

        // A backup that starts after the hole needs nothing before it.
        var backupStart = WalSegmentName.Parse(segments[3].Name).StartLsn + 40;
        using (var repository = sandbox.Policy.OpenRepository())
            await BackupCatalog.WriteManifestAsync(repository, new BackupManifest
            {
                Id = "20261127T000000Z", Cluster = cluster, SystemIdentifier = "0", ServerVersionNum = 150000, ToolVersion = "test",
                Source = new BackupSource("m1", "127.0.0.1", 5432), StartTime = DateTimeOffset.UtcNow, EndTime = DateTimeOffset.UtcNow,
                StartLsn = backupStart, EndLsn = backupStart + 0x100, Timeline = timeline, WalSegmentSize = WalSegmentSize.Default,
                Compression = "zstd", CompressionLevel = 3, ChunkSize = 4 << 20, DatabaseSize = 0, StoredSize = 0,
                Tablespaces = [], Files = [], Packs = [], Wal = [], PostgresManifest = new EncodedObject("backup_manifest.zst", 0, "00"),
            }, CancellationToken.None);
        Assert.Equal(0, (await sandbox.RunCliAsync("check", "--max-lag", "3600")).ExitCode);
    }

    /// <summary>
    /// A segment whose header is right but whose first record's CRC is not (stored damaged, e.g. pushed
    /// from a bad disk) is found by `check` reading the archive's newest WAL record by record.
    /// </summary>
    [Fact]
    public async Task Check_names_the_newest_segment_when_a_record_in_it_fails_its_crc()
    {
        await using var sandbox = new WalSandbox(fixture, "walcrc");
        var segments = await LeaderSegmentsAsync(sandbox, 2);
        var timeline = WalSegmentName.Parse(segments[0].Name).Timeline;
        for (var tli = 2u; tli <= timeline; tli++)
            await PushFromLeaderAsync(sandbox, WalFileName.HistoryFileName(tli));
        var (newest, content) = segments[^1];
        content[WalPageHeader.LongLength + 20] ^= 0x01; // xl_crc of the segment's first record
        foreach (var (name, bytes) in segments)
        {
            var file = Path.Combine(sandbox.RepositoryPath, "..", name);
            await File.WriteAllBytesAsync(file, bytes);
            Assert.Equal(0, (await sandbox.RunCliAsync("wal-push", file)).ExitCode);
        }

        var check = await sandbox.RunCliAsync("check", "--max-lag", "3600");
        output.WriteLine(check.Stdout + check.Stderr);

        Assert.Equal(4, check.ExitCode);
        Assert.Contains($"{newest}.zst' holds WAL whose records do not check out", check.Stderr);
        Assert.Contains("CRC-32C mismatch", check.Stderr);
    }

    /// <summary>The newest <paramref name="count"/> consecutive complete segments on the leader.</summary>
    private static async Task<IReadOnlyList<(string Name, byte[] Content)>> LeaderSegmentsAsync(WalSandbox sandbox, int count)
    {
        var members = sandbox.Members;
        var leader = await members.LeaderPortAsync();
        // Complete `count` segments on the current timeline: right after a failover (an earlier
        // test's) the segments just before the current one may belong to the previous timeline.
        for (var i = 0; i <= count; i++)
        {
            await members.ExecuteAsync(leader, "SELECT txid_current()");
            await sandbox.SwitchWalAsync();
        }
        var current = await members.ScalarAsync<string>(leader, "SELECT pg_walfile_name(pg_current_wal_lsn())");
        var last = WalSegmentName.Parse(current);
        var segments = new List<(string, byte[])>();
        for (var n = last.SegmentNumber - (ulong)count; n < last.SegmentNumber; n++)
        {
            var name = new WalSegmentName(last.Timeline, n).FileName;
            segments.Add((name, await sandbox.LeaderSegmentAsync(name) ?? throw new InvalidOperationException($"{name} is no longer on the leader")));
        }
        return segments;
    }

    /// <summary>
    /// Pushes a file of the leader's pg_wal, or, for a history file the leader lacks, another member's copy: a member
    /// rebuilt from the repository (create-replica) holds only the history files its restore fetched.
    /// </summary>
    private static async Task PushFromLeaderAsync(WalSandbox sandbox, string fileName)
    {
        var members = sandbox.Members;
        var leader = await members.LeaderPortAsync();
        byte[]? content = null;
        foreach (var port in sandbox.Members.Endpoints.PgPorts.OrderBy(p => p != leader))
            content ??= await members.ScalarAsync<object>(port, $"SELECT CASE WHEN EXISTS (SELECT FROM pg_ls_waldir() WHERE name = '{fileName}') THEN pg_read_binary_file('pg_wal/{fileName}') END") as byte[];
        if (content is null) throw new InvalidOperationException($"no member holds {fileName} in its pg_wal");
        var file = Path.Combine(sandbox.RepositoryPath, "..", fileName);
        await File.WriteAllBytesAsync(file, content);
        Assert.Equal(0, (await sandbox.RunCliAsync("wal-push", file)).ExitCode);
    }
}
