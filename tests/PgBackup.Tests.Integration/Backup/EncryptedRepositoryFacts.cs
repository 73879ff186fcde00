using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PgBackup.Repository;
using PgBackup.Repository.Codecs;
using PgBackup.Tests.Integration.Replication;
using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Backup;

/// <summary>
/// An encrypted repository round-trips a replica's backup, WAL pushed or streamed
/// by the archiver, verifies, holds no plain text and no zstd frame in any stored object, refuses
/// the wrong key (or none) with exit 4, and names a tampered pack in restore and verify.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class EncryptedRepositoryFacts(SandboxFixture fixture, ITestOutputHelper output) : IDisposable
{

    private readonly BackupTestbed _bed = new(fixture);

    /// <param name="store">s3 (s3rver's files are read directly) or local.</param>
    /// <param name="compression">server: the source's zstd, pieces sealed as they are; client: our chunks.</param>
    [Theory]
    [InlineData("s3", "server")]
    [InlineData("local", "client")]
    public async Task Encrypted_repository_round_trips_backup_and_wal_and_stores_no_plain_text(string store, string compression)
    {
        var dataset = await _bed.DatasetAsync();
        var marker = "PGBACKUP-ENCRYPTION-MARKER-" + Guid.NewGuid().ToString("N");
        var (segmentName, segment, _) = await WriteMarkerAsync(marker);
        Assert.True(Contains(segment, marker), "control: the plain WAL segment holds the marker");

        var repository = store == "s3" ? BackupTestbed.UniquePrefix("encrypted") : _bed.NewDirectory("repo");
        string Policy(params string[] keyLines) => store == "s3" ? _bed.S3Policy(repository, null, compression, keyLines) : _bed.LocalPolicy(repository, compression, keyLines);
        var policy = Policy("encryption_key_file: " + KeyFile("key", RandomNumberGenerator.GetHexString(64)));

        var backup = await PgBackupCli.RunAsync("backup", "--policy", policy, "--json");
        output.WriteLine(backup.Stderr);
        Assert.True(backup.ExitCode == 0, backup.ToString());
        var id = JsonDocument.Parse(backup.Stdout).RootElement.GetProperty("id").GetString()!;
        // As archive_command would: the segment, and the history files of the timelines that lead to it (after a failover in an earlier test).
        var walDirectory = _bed.NewDirectory("wal");
        await File.WriteAllBytesAsync(Path.Combine(walDirectory, segmentName), segment);
        var timeline = uint.Parse(segmentName[..8], System.Globalization.NumberStyles.HexNumber);
        var toPush = Enumerable.Range(2, (int)timeline - 1).Select(t => $"{t:X8}.history").Append(segmentName);
        foreach (var file in toPush)
        {
            if (!file.EndsWith(".history", StringComparison.Ordinal) || await CopyFromLeaderAsync(file, walDirectory))
            {
                var push = await PgBackupCli.RunAsync("wal-push", "--policy", policy, Path.Combine(walDirectory, file));
                Assert.True(push.ExitCode == 0, push.ToString());
            }
        }

        AssertStoredObjectsAreOpaque(StoredObjects(store, repository), marker);

        var fetched = Path.Combine(_bed.NewDirectory("fetched"), segmentName);
        var fetch = await PgBackupCli.RunAsync("wal-fetch", "--policy", policy, segmentName, fetched);
        Assert.True(fetch.ExitCode == 0, fetch.ToString());
        Assert.Equal(segment, await File.ReadAllBytesAsync(fetched));

        var pgData = _bed.NewPath("pgdata");
        var port = RestoredServer.FreePort();
        var restore = await PgBackupCli.RunAsync("restore", "--policy", policy, "--backup", id, "--pgdata", pgData, "--port", port.ToString());
        Assert.True(restore.ExitCode == 0, restore.ToString());
        var (verify, verifyOutput) = await RestoredServer.VerifyBackupAsync(pgData);
        Assert.True(verify == 0, "pg_verifybackup: " + verifyOutput);
        await using (var server = await RestoredServer.StartAsync(pgData, port))
        {
            Assert.Equal(dataset.KnownChecksum, await _bed.ScalarAsync<string>(port, BackupTestbed.Database, SourceDataset.ChecksumSql));
            Assert.Equal(2L, await _bed.ScalarAsync<long>(port, BackupTestbed.Database, $"SELECT count(*) FROM encryption_marker WHERE t = '{marker}'"));
        }

        var verified = await PgBackupCli.RunAsync("verify", "--policy", policy, id);
        Assert.True(verified.ExitCode == 0, verified.ToString());

        await AssertRefusedAsync(Policy("encryption_key_file: " + KeyFile("wrong-key", RandomNumberGenerator.GetHexString(64))), "is not this repository's key");
        await AssertRefusedAsync(Policy(), "the repository is encrypted");

        FlipByteInTheMiddle(StoredObjects(store, repository).Single(f => f.Contains("/data/000001.pack", StringComparison.Ordinal)));
        var damaged = await PgBackupCli.RunAsync("restore", "--policy", policy, "--backup", id, "--pgdata", _bed.NewPath("pgdata"), "--port", "5999");
        output.WriteLine(damaged.ToString());
        Assert.Equal(4, damaged.ExitCode);
        var error = Assert.Single(damaged.ErrorLines);
        Assert.Contains("data/000001.pack", error);
        // Pieces carry a SHA-256 of their stored bytes, checked before decryption; chunks rely on the GCM tag.
        Assert.Contains(compression == "server" ? "(SHA-256 mismatch)" : "cannot decrypt the chunk at offset", error);
        if (store == "local")
        {
            // (On s3rver a whole-object GET of the damaged pack fails inside the AWS SDK's own checksum validation first.)
            var reverify = await PgBackupCli.RunAsync("verify", "--policy", policy, id);
            output.WriteLine(reverify.ToString());
            Assert.NotEqual(0, reverify.ExitCode);
            Assert.Contains("data/000001.pack", reverify.Stdout + reverify.Stderr);
        }
    }

    [Fact]
    public async Task Encrypted_archive_streams_wal_that_wal_fetch_and_check_read_back()
    {
        await _bed.DatasetAsync();
        var repository = _bed.NewDirectory("repo");
        var policy = _bed.LocalPolicy(repository, "server", "encryption_key_file: " + KeyFile("key", RandomNumberGenerator.GetHexString(64)));
        var slot = ClusterName.ArchiverSlot(_bed.Endpoints["SANDBOX_CLUSTER"]);
        try
        {
            using (var archive = PgBackupCli.Start("archive", "--policy", policy, "--status-interval", "1"))
            {
                var backup = await PgBackupCli.RunAsync("backup", "--policy", policy);
                Assert.True(backup.ExitCode == 0, backup.ToString());
                var marker = "PGBACKUP-ENCRYPTION-MARKER-" + Guid.NewGuid().ToString("N");
                var (segmentName, segment, switchOffset) = await WriteMarkerAsync(marker);
                var stored = Path.Combine(repository, _bed.Endpoints["SANDBOX_CLUSTER"], "wal", segmentName[..8], segmentName + ".zst");
                var deadline = DateTime.UtcNow.AddSeconds(90);
                while (!File.Exists(stored))
                {
                    if (archive.HasExited || DateTime.UtcNow > deadline)
                        Assert.Fail($"archive did not store {segmentName} within 90 s:\n{archive.Kill9()}");
                    await Task.Delay(200);
                }
                output.WriteLine(archive.Kill9().Stdout);

                AssertStoredObjectsAreOpaque(StoredObjects("local", repository), marker);
                var fetched = Path.Combine(_bed.NewDirectory("fetched"), segmentName);
                var fetch = await PgBackupCli.RunAsync("wal-fetch", "--policy", policy, segmentName, fetched);
                Assert.True(fetch.ExitCode == 0, fetch.ToString());
                // The WAL itself, up to the switch; beyond it each member's file holds whatever its recycled file held.
                var archived = await File.ReadAllBytesAsync(fetched);
                Assert.Equal(segment.Length, archived.Length);
                Assert.True(segment.AsSpan(0, switchOffset).SequenceEqual(archived.AsSpan(0, switchOffset)), "the archived segment differs from the leader's before the switch");
            }

            // check reads the backup's (encrypted) manifest.json for where WAL must start, then every segment since;
            // the killed archiver's slot would be reported as stale.
            await new ReplicationSandbox(_bed.Fixture).DropSlotEverywhereAsync(slot);
            var check = await PgBackupCli.RunAsync("check", "--policy", policy, "--max-lag", "3600");
            output.WriteLine(check.ToString());
            Assert.True(check.ExitCode == 0, check.ToString());
        }
        finally
        {
            await new ReplicationSandbox(_bed.Fixture).DropSlotEverywhereAsync(slot);
        }
    }

    /// <summary>
    /// A known string in a table on the leader, then a WAL switch: returns the finished segment that
    /// holds the insert as the leader wrote it, and where in it the WAL ends (the switch).
    /// </summary>
    private async Task<(string Name, byte[] Content, int SwitchOffset)> WriteMarkerAsync(string marker)
    {
        var leader = await _bed.LeaderPortAsync();
        // Two rows: a WAL page header (every 8 KiB) can split one record's copy of the marker, never both adjacent ones.
        await _bed.ExecuteAsync(leader, BackupTestbed.Database,
            $"CREATE TABLE IF NOT EXISTS encryption_marker (t text); INSERT INTO encryption_marker VALUES ('{marker}'); INSERT INTO encryption_marker VALUES ('{marker}')");
        var name = await _bed.ScalarAsync<string>(leader, "postgres", "SELECT pg_walfile_name(pg_current_wal_insert_lsn())");
        var switched = await _bed.ScalarAsync<string>(leader, "postgres", "SELECT pg_switch_wal()::text");
        await _bed.WaitForReplicasAsync(TimeSpan.FromSeconds(60));
        var member = _bed.Endpoints.Members[_bed.Endpoints.PgPorts.ToList().IndexOf(leader)];
        var content = await File.ReadAllBytesAsync(Path.Combine(_bed.Endpoints.RunDirectory, member, "data", "pg_wal", name));
        var switchOffset = (int)(ulong.Parse(switched.Split('/')[1], System.Globalization.NumberStyles.HexNumber) % (ulong)content.Length);
        return (name, content, switchOffset);
    }

    /// <summary>Copies a file of the leader's pg_wal into <paramref name="directory"/>; false if the leader does not have it.</summary>
    private async Task<bool> CopyFromLeaderAsync(string file, string directory)
    {
        var leader = await _bed.LeaderPortAsync();
        var member = _bed.Endpoints.Members[_bed.Endpoints.PgPorts.ToList().IndexOf(leader)];
        var source = Path.Combine(_bed.Endpoints.RunDirectory, member, "data", "pg_wal", file);
        if (!File.Exists(source)) return false;
        File.Copy(source, Path.Combine(directory, file));
        return true;
    }

    /// <summary>No stored object holds the marker, a zstd frame at its start, or readable file names, except repo.json (which holds the key check).</summary>
    private void AssertStoredObjectsAreOpaque(IReadOnlyList<string> objects, string marker)
    {
        output.WriteLine($"{objects.Count} stored objects");
        Assert.Contains(objects, f => f.Contains("/data/000001.pack", StringComparison.Ordinal));
        Assert.Contains(objects, f => f.Contains("/manifest.json", StringComparison.Ordinal));
        Assert.Contains(objects, f => f.Contains("/wal/", StringComparison.Ordinal));
        foreach (var file in objects)
        {
            var bytes = File.ReadAllBytes(file);
            Assert.False(Contains(bytes, marker), $"{file} holds the marker in plain text");
            if (file.Contains("/repo.json", StringComparison.Ordinal))
            {
                Assert.Contains("\"keyCheck\"", Encoding.UTF8.GetString(bytes));
                continue;
            }
            Assert.False(bytes.AsSpan().StartsWith(RepositoryCodec.FrameMagic), $"{file} is a plain zstd frame");
            Assert.False(Contains(bytes, "pg_control") || Contains(bytes, "\"files\""), $"{file} holds readable file names");
        }
    }

    private async Task AssertRefusedAsync(string policy, string reason)
    {
        var list = await PgBackupCli.RunAsync("list", "--policy", policy);
        output.WriteLine(list.ToString());
        Assert.Equal(4, list.ExitCode);
        var error = Assert.Single(list.ErrorLines);
        Assert.Contains("repo.json", error);
        Assert.Contains(reason, error);
    }

    /// <summary>The files holding the repository's objects: s3rver's object files under the prefix, read directly, or the local directory's files.</summary>
    private IReadOnlyList<string> StoredObjects(string store, string repository) => store == "s3"
        ? Directory.EnumerateFiles(Path.Combine(_bed.Endpoints.Directory, "s3", _bed.Endpoints.S3Bucket, repository), "*._S3rver_object", SearchOption.AllDirectories).ToList()
        : Directory.EnumerateFiles(repository, "*", SearchOption.AllDirectories).ToList();

    private string KeyFile(string name, string key)
    {
        var path = Path.Combine(_bed.NewDirectory("keys"), name);
        File.WriteAllText(path, key + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private static bool Contains(byte[] haystack, string text) => haystack.AsSpan().IndexOf(Encoding.ASCII.GetBytes(text)) >= 0;

    private static void FlipByteInTheMiddle(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = file.Length / 2;
        var b = file.ReadByte();
        file.Position = file.Length / 2;
        file.WriteByte((byte)(b ^ 0xFF));
    }

    public void Dispose() => _bed.Dispose();
}
