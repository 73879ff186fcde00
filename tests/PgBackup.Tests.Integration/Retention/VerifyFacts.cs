using System.Text.Json;
using PgBackup.Drill;
using PgBackup.Policies;
using PgBackup.Tests.Integration.Sandbox;
using PgBackup.Repository.Catalog;

namespace PgBackup.Tests.Integration.Retention;

/// <summary>`pgbackup verify` finds and names every damaged or missing object of a backup and its WAL window.</summary>
[Collection(SandboxCollection.Name)]
public sealed class VerifyFacts(VerifiedRepository verified) : IClassFixture<VerifiedRepository>
{
    [Fact]
    [Trait(Smoke.Trait, Smoke.Yes)]
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

    [Fact]
    public async Task The_frozen_copy_verifies_with_every_object_checked_by_its_own_checksum()
    {
        var result = await verified.RunFrozenAsync("verify", "--all");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(result.Stdout,
            @"repository: repo\.json, 2 manifest\(s\), 0 lease\(s\), 0 drill report\(s\), [1-9]\d* partial segment\(s\), [1-9]\d* history file\(s\);.*: ok"), result.ToString());
        Assert.DoesNotContain("unchecked", result.Stdout);
    }

    [Fact]
    public async Task A_flipped_byte_in_a_chunk_is_named_with_its_offset()
    {
        var (pack, chunk) = FirstChunk(verified.ChunkedBackupId);
        using (VerifiedRepository.FlipByte(Path.Combine(FrozenBackup(verified.ChunkedBackupId), pack), chunk.Offset + chunk.StoredLength / 2))
            await AssertFrozenFaultAsync($"backups/{verified.ChunkedBackupId}/{pack}", $"chunk at offset {chunk.Offset} ");
    }

    [Fact]
    public async Task A_flipped_byte_in_a_server_compressed_piece_is_named_with_its_offset()
    {
        var manifest = Manifest(verified.BackupId);
        var piece = manifest.Archives[0].Pieces[^1];
        using (VerifiedRepository.FlipByte(Path.Combine(FrozenBackup(verified.BackupId), manifest.Packs[piece.Pack].Key), piece.Offset + piece.StoredLength / 2))
            await AssertFrozenFaultAsync($"archive {manifest.Archives[0].Name} of backup {verified.BackupId}", $"damaged at offset {piece.Offset} ");
    }

    [Fact]
    public async Task A_flipped_byte_in_a_backups_own_wal_segment_is_named()
    {
        var segment = Directory.GetFiles(Path.Combine(FrozenBackup(verified.BackupId), "wal"), "*.zst").First(f => !f.EndsWith(".history.zst", StringComparison.Ordinal));
        using (VerifiedRepository.FlipByte(segment))
            await AssertFrozenFaultAsync($"backups/{verified.BackupId}/wal/{Path.GetFileName(segment)}");
    }

    [Fact]
    public async Task A_flipped_byte_in_a_backups_own_history_file_is_named()
    {
        var history = Directory.GetFiles(Path.Combine(FrozenBackup(verified.BackupId), "wal"), "*.history.zst").Single();
        using (VerifiedRepository.FlipByte(history))
            await AssertFrozenFaultAsync($"backups/{verified.BackupId}/wal/{Path.GetFileName(history)}");
    }

    [Theory]
    [InlineData("\"endLsn\":\"", false)]
    [InlineData("\"startLsn\":\"", false)]
    [InlineData("\"plainLength\":", true)]
    public async Task A_flipped_digit_in_manifest_json_is_named_against_the_manifest(string member, bool chunked)
    {
        var id = chunked ? verified.ChunkedBackupId : verified.BackupId;
        using (VerifiedRepository.FlipDigit(Path.Combine(FrozenBackup(id), "manifest.json"), member))
            await AssertFrozenFaultAsync($"backups/{id}/manifest.json", "checksum");
    }

    [Fact]
    public async Task A_flipped_digit_of_the_system_identifier_in_repo_json_is_named()
    {
        using (VerifiedRepository.FlipDigit(Path.Combine(verified.FrozenClusterRoot, "repo.json"), "\"systemIdentifier\": \""))
        {
            var result = await verified.RunFrozenAsync("verify", "--all");
            Assert.Equal(4, result.ExitCode);
            Assert.Contains("sandbox/repo.json", Assert.Single(result.StderrLines));
        }
    }

    [Fact]
    public async Task A_flipped_byte_in_the_archivers_partial_segment_is_named()
    {
        var partial = verified.FrozenPartial();
        using (VerifiedRepository.FlipByte(partial))
            await AssertFrozenFaultAsync(Path.GetFileName(partial));
    }

    [Fact]
    public async Task A_flipped_byte_in_an_archived_history_file_is_named()
    {
        var history = Directory.GetFiles(Path.Combine(verified.FrozenClusterRoot, "wal"), "*.history.zst").Order(StringComparer.Ordinal).Last();
        using (VerifiedRepository.FlipByte(history))
            await AssertFrozenFaultAsync($"wal/{Path.GetFileName(history)}");
    }

    [Fact]
    public async Task A_flipped_digit_in_a_drill_report_is_named()
    {
        using var repository = PolicyLoader.Load(verified.Frozen.Path).OpenRepository();
        var finished = new DateTimeOffset(2026, 12, 2, 3, 4, 5, TimeSpan.Zero);
        await DrillReports.WriteAsync(repository, new DrillReport("sandbox", verified.ChunkedBackupId, null, finished.AddMinutes(-2), finished, true, "latest",
            null, null, 2, 30.5, 12.25, 42.75, 123456789, 5, [], [new DrillCheck("restore", true, "ok")], null, null), CancellationToken.None);
        var report = Path.Combine(verified.FrozenClusterRoot, repository.Layout.DrillReport(finished)["sandbox/".Length..]);
        try
        {
            using (VerifiedRepository.FlipDigit(report, "\"restoredBytes\": "))
                await AssertFrozenFaultAsync(repository.Layout.DrillReport(finished), "checksum");
        }
        finally
        {
            File.Delete(report);
        }
    }

    [Fact]
    public async Task A_flipped_digit_in_the_lease_of_a_running_backup_is_named()
    {
        using var repository = PolicyLoader.Load(verified.Frozen.Path).OpenRepository();
        const string running = "20991231T235959Z";
        await BackupLease.ForThisProcess().WriteAsync(repository, running, CancellationToken.None);
        var folder = Path.Combine(verified.FrozenClusterRoot, "backups", running);
        try
        {
            using (VerifiedRepository.FlipDigit(Path.Combine(folder, "lease.json"), "\"processId\":"))
                await AssertFrozenFaultAsync(repository.Layout.BackupLease(running), "checksum");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Restore_refuses_a_manifest_with_a_damaged_property_name_in_one_line()
    {
        var manifest = Path.Combine(FrozenBackup(verified.ChunkedBackupId), "manifest.json");
        var original = await File.ReadAllBytesAsync(manifest);
        StoredDocumentFile.Edit(manifest, text =>
        {
            var firstPath = text.IndexOf("\"path\":", StringComparison.Ordinal);
            return text[..firstPath] + "\"pAth\":" + text[(firstPath + "\"path\":".Length)..];
        });
        var pgData = Path.Combine(verified.Frozen.Directory, "pgdata");
        try
        {
            var result = await verified.RunFrozenAsync("restore", "--backup", "latest", "--pgdata", pgData, "--port", "5999");

            Assert.Equal(4, result.ExitCode);
            var error = Assert.Single(result.StderrLines);
            Assert.StartsWith("error: ", error);
            Assert.Contains($"backups/{verified.ChunkedBackupId}/manifest.json", error);
            Assert.False(Directory.Exists(Path.Combine(pgData, "base")), "restore wrote files before refusing");
        }
        finally
        {
            await File.WriteAllBytesAsync(manifest, original);
        }
    }

    private string FrozenBackup(string id) => Path.Combine(verified.FrozenClusterRoot, "backups", id);

    private BackupManifest Manifest(string id)
    {
        using var repository = PolicyLoader.Load(verified.Frozen.Path).OpenRepository();
        return BackupCatalog.ReadManifestAsync(repository, id, CancellationToken.None).GetAwaiter().GetResult();
    }

    private (string PackKey, ChunkLocation Chunk) FirstChunk(string id)
    {
        var manifest = Manifest(id);
        var chunk = manifest.Files.First(f => f.Chunks.Count > 0 && f.Chunks[0].StoredLength > 100).Chunks[0];
        return (manifest.Packs[chunk.Pack].Key, chunk);
    }

    private async Task AssertFrozenFaultAsync(string named, string? saying = null)
    {
        var result = await verified.RunFrozenAsync("verify", "--all");
        Assert.True(result.ExitCode == 4, result.ToString());
        var error = Assert.Single(result.StderrLines);
        Assert.StartsWith("error: verify found", error);
        Assert.True(result.Stdout.Split('\n').Any(line => line.Contains("FAULT", StringComparison.Ordinal) && line.Contains(named, StringComparison.Ordinal)
            && (saying is null || line.Contains(saying, StringComparison.Ordinal))), $"no FAULT line names {named}{(saying is null ? "" : $" saying {saying}")}:\n{result}");
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
