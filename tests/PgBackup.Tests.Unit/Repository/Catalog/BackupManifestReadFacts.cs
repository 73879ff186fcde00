using System.Text;
using System.Text.Json;
using PgBackup.Errors;
using PgBackup.Repository;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Storage;
using PgBackup.Tests.Unit.Repository;
using PgBackup.Repository.Catalog;

namespace PgBackup.Tests.Unit.Repository.Catalog;

/// <summary>manifest.json carries its own checksum; a damaged one — also an old one without a checksum — is one named repository error.</summary>
public sealed class BackupManifestReadFacts : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly BackupRepository _repository;

    public BackupManifestReadFacts() => _repository = new BackupRepository(new LocalDirectoryObjectStore(_dir.Path), new RepositoryLayout("main"), new RepositoryCodec());

    public void Dispose()
    {
        _repository.Dispose();
        _dir.Dispose();
    }

    private string ManifestPath => Path.Combine(_dir.Path, "main", "backups", ManifestSamples.Id, "manifest.json");

    [Fact]
    public async Task A_written_manifest_reads_back_checked_by_its_own_checksum()
    {
        await BackupCatalog.WriteManifestAsync(_repository, ManifestSamples.ClientCompressed, CancellationToken.None);

        var (manifest, checksummed) = await BackupCatalog.ReadCheckedManifestAsync(_repository, ManifestSamples.Id, CancellationToken.None);

        Assert.True(checksummed);
        Assert.Equal(JsonOf(ManifestSamples.ClientCompressed), JsonOf(manifest));
        var (text, encoded) = StoredDocumentFile.Read(ManifestPath);
        Assert.True(encoded, "manifest.json is stored zstd-encoded");
        Assert.StartsWith("{\"checksum\":\"", text);
    }

    [Fact]
    public async Task A_plain_manifest_of_an_earlier_version_still_reads_checked()
    {
        await BackupCatalog.WriteManifestAsync(_repository, ManifestSamples.ClientCompressed, CancellationToken.None);
        var (text, _) = StoredDocumentFile.Read(ManifestPath);
        StoredDocumentFile.Write(ManifestPath, text, encoded: false);

        var (manifest, checksummed) = await BackupCatalog.ReadCheckedManifestAsync(_repository, ManifestSamples.Id, CancellationToken.None);

        Assert.True(checksummed);
        Assert.Equal(JsonOf(ManifestSamples.ClientCompressed), JsonOf(manifest));
    }

    [Fact]
    public async Task A_flipped_byte_of_the_encoded_manifest_is_a_repository_error_naming_it()
    {
        await BackupCatalog.WriteManifestAsync(_repository, ManifestSamples.ClientCompressed, CancellationToken.None);
        var stored = await File.ReadAllBytesAsync(ManifestPath);
        stored[stored.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(ManifestPath, stored);

        var e = await Assert.ThrowsAsync<RepositoryException>(() => BackupCatalog.ReadManifestAsync(_repository, ManifestSamples.Id, CancellationToken.None));

        Assert.Contains($"backups/{ManifestSamples.Id}/manifest.json", e.Message);
    }

    [Theory]
    [InlineData("\"endLsn\":\"0/5000138\"", "\"endLsn\":\"0/5000139\"")]
    [InlineData("\"startLsn\":\"0/5000028\"", "\"startLsn\":\"0/5000029\"")]
    [InlineData("\"plainLength\":1000", "\"plainLength\":1001")]
    [InlineData("\"storedSize\":2000", "\"storedSize\":2001")]
    public async Task A_flipped_digit_is_a_repository_error_naming_the_manifest(string intact, string damaged)
    {
        await BackupCatalog.WriteManifestAsync(_repository, ManifestSamples.ClientCompressed, CancellationToken.None);
        Replace(intact, damaged);

        var e = await Assert.ThrowsAsync<RepositoryException>(() => BackupCatalog.ReadManifestAsync(_repository, ManifestSamples.Id, CancellationToken.None));

        Assert.Contains($"backups/{ManifestSamples.Id}/manifest.json", e.Message);
        Assert.Contains("checksum", e.Message);
    }

    [Fact]
    public async Task A_manifest_written_before_checksums_still_reads_unchecked()
    {
        await WriteOldFormatAsync(JsonOf(ManifestSamples.ClientCompressed));

        var (manifest, checksummed) = await BackupCatalog.ReadCheckedManifestAsync(_repository, ManifestSamples.Id, CancellationToken.None);

        Assert.False(checksummed);
        Assert.Equal(ManifestSamples.Id, manifest.Id);
    }

    /// <summary>What a checksum cannot catch in an old manifest, its shape and consistency still do: one error, never an ArgumentException from a dictionary.</summary>
    [Theory]
    [InlineData("\"path\":\"base/1/1259\"", "\"pAth\":\"base/1/1259\"", "path")]                       // a damaged property name
    [InlineData("\"path\":\"base\"", "\"path\":\"base/1/1259\"", "listed twice")]                      // two entries for one path
    [InlineData("\"endLsn\":\"0/5000138\"", "\"endLsn\":\"0/50001G8\"", "not an LSN")]
    [InlineData("\"timeline\":1", "\"timeline\":\"1\"", "timeline")]                                   // a wrong type
    [InlineData("\"plainLength\":1000", "\"plainLength\":1001", "plainLength 1001")]                    // a digit that breaks the chunk layout
    [InlineData("\"pack\":0,\"offset\":6000", "\"pack\":7,\"offset\":6000", "pack number 7")]
    [InlineData("\"id\":\"20261201T100000Z\",", "\"id\":\"20261201T100000Z\",\"id\":\"x\",", "id")]     // a duplicate key
    public async Task A_semantically_damaged_old_manifest_is_a_repository_error_naming_it(string intact, string damaged, string problem)
    {
        var json = JsonOf(ManifestSamples.ClientCompressed);
        Assert.Contains(intact, json);
        await WriteOldFormatAsync(ReplaceFirst(json, intact, damaged));

        var e = await Assert.ThrowsAsync<RepositoryException>(() => BackupCatalog.ReadManifestAsync(_repository, ManifestSamples.Id, CancellationToken.None));

        Assert.Contains($"backups/{ManifestSamples.Id}/manifest.json", e.Message);
        Assert.Contains(problem, e.Message);
    }

    private static string JsonOf(BackupManifest manifest) => Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(manifest, BackupManifestJson.Default.BackupManifest));

    /// <summary>What pgbackup wrote before manifests carried checksums: the serialised manifest as it is.</summary>
    private async Task WriteOldFormatAsync(string json)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ManifestPath)!);
        await File.WriteAllTextAsync(ManifestPath, json);
    }

    private void Replace(string intact, string damaged)
    {
        var (text, encoded) = StoredDocumentFile.Read(ManifestPath);
        Assert.Contains(intact, text);
        StoredDocumentFile.Write(ManifestPath, ReplaceFirst(text, intact, damaged), encoded);
    }

    private static string ReplaceFirst(string text, string intact, string damaged)
    {
        var at = text.IndexOf(intact, StringComparison.Ordinal);
        return text[..at] + damaged + text[(at + intact.Length)..];
    }
}
