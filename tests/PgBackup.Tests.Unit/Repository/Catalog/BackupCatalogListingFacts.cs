using System.Text.Json;
using PgBackup.Repository;
using PgBackup.Repository.Catalog;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Storage;

namespace PgBackup.Tests.Unit.Repository.Catalog;

/// <summary>
/// A listing holds manifest headers: without the file list, which for a cluster of many files weighs
/// tens of MiB per backup; the backup a command acts on is read whole.
/// </summary>
public sealed class BackupCatalogListingFacts : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly BackupRepository _repository;

    public BackupCatalogListingFacts() => _repository = new BackupRepository(new LocalDirectoryObjectStore(_dir.Path), new RepositoryLayout("main"), new RepositoryCodec());

    public void Dispose()
    {
        _repository.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_listed_backup_is_a_header_whose_files_cannot_be_read_by_mistake()
    {
        await BackupCatalog.WriteManifestAsync(_repository, ManifestSamples.ClientCompressed, CancellationToken.None);

        var listed = Assert.Single(await BackupCatalog.ListCompleteAsync(_repository, CancellationToken.None));

        Assert.True(listed.IsHeader);
        var e = Assert.Throws<InvalidOperationException>(() => listed.Files);
        Assert.Contains(ManifestSamples.Id, e.Message);
        Assert.Equal(ManifestSamples.ClientCompressed.Packs, listed.Packs);
        Assert.Equal(ManifestSamples.ClientCompressed.EndLsn, listed.EndLsn);
        Assert.Throws<InvalidOperationException>(() => JsonSerializer.Serialize(listed, BackupManifestJson.Default.BackupManifest));
    }

    [Theory]
    [InlineData(ManifestSamples.Id)]
    [InlineData("latest")]
    public async Task A_resolved_backup_is_whole(string idOrLatest)
    {
        await BackupCatalog.WriteManifestAsync(_repository, ManifestSamples.ClientCompressed, CancellationToken.None);

        var resolved = await BackupCatalog.ResolveAsync(_repository, idOrLatest, CancellationToken.None);

        Assert.False(resolved.IsHeader);
        Assert.Equal(ManifestSamples.ClientCompressed.Files.Select(f => f.Path), resolved.Files.Select(f => f.Path));
    }
}
