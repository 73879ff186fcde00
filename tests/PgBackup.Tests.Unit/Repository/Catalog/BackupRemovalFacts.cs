using PgBackup.Repository;
using PgBackup.Repository.Catalog;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Storage;

namespace PgBackup.Tests.Unit.Repository.Catalog;

/// <summary>Expire and debris removal share one routine; its order keeps an interrupted removal safe.</summary>
public sealed class BackupRemovalFacts : IDisposable
{
    private const string Id = "20261201T100000Z";
    private readonly TempDirectory _dir = new();
    private readonly RecordingStore _store;
    private readonly BackupRepository _repository;
    private readonly RepositoryLayout _layout = new("main");

    public BackupRemovalFacts()
    {
        _store = new RecordingStore(new LocalDirectoryObjectStore(_dir.Path));
        _repository = new BackupRepository(_store, _layout, new RepositoryCodec());
    }

    public void Dispose()
    {
        _repository.Dispose();
        _dir.Dispose();
    }

    private async Task PutAsync(params string[] keys)
    {
        foreach (var key in keys)
            await _store.PutAsync(key, new byte[] { 1, 2, 3 });
    }

    private async Task<List<string>> LeftAsync() =>
        await _store.ListAsync(_layout.BackupPrefix(Id)).Select(o => o.Key).ToListAsync();

    [Fact]
    public async Task A_complete_backup_loses_its_manifest_before_any_other_object()
    {
        await PutAsync(_layout.BackupManifest(Id), _layout.Pack(Id, 1), _layout.PostgresBackupManifest(Id));

        await BackupCatalog.RemoveCompleteAsync(_repository, Id, CancellationToken.None);

        Assert.Equal(_layout.BackupManifest(Id), _store.Deleted[0]);
        Assert.Empty(await LeftAsync());
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "main", "backups", Id)));
    }

    [Fact]
    public async Task A_dead_backup_loses_its_lease_last_and_its_temporary_files_too()
    {
        await PutAsync(_layout.BackupLease(Id), _layout.Pack(Id, 1), _layout.Pack(Id, 2));
        var temp = Path.Combine(_dir.Path, "main", "backups", Id, "data", ".000003.pack.0123456789abcdef.pgbackup-tmp");
        await File.WriteAllBytesAsync(temp, [1]);

        await BackupCatalog.RemoveIncompleteAsync(_repository, Id, CancellationToken.None);

        Assert.Equal(_layout.BackupLease(Id), _store.Deleted[^1]);
        Assert.Empty(await LeftAsync());
        Assert.False(File.Exists(temp));
    }

    [Fact]
    public async Task A_backup_with_a_manifest_is_never_removed_as_debris()
    {
        await PutAsync(_layout.BackupManifest(Id), _layout.Pack(Id, 1));

        await Assert.ThrowsAsync<InvalidOperationException>(() => BackupCatalog.RemoveIncompleteAsync(_repository, Id, CancellationToken.None));

        Assert.Empty(_store.Deleted);
        Assert.Equal(2, (await LeftAsync()).Count);
    }

    /// <summary>Passes every call through and records the keys deleted, in order.</summary>
    private sealed class RecordingStore(IObjectStore inner) : IObjectStore
    {
        public List<string> Deleted { get; } = [];
        public string Describe => inner.Describe;
        public Task PutAsync(string key, Stream content, CancellationToken ct = default) => inner.PutAsync(key, content, ct);
        public Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken ct = default) => inner.PutAsync(key, content, ct);
        public Task<Stream> OpenReadAsync(string key, CancellationToken ct = default) => inner.OpenReadAsync(key, ct);
        public Task<Stream> OpenReadAsync(string key, long offset, long length, CancellationToken ct = default) => inner.OpenReadAsync(key, offset, length, ct);
        public Task<ObjectInfo?> HeadAsync(string key, CancellationToken ct = default) => inner.HeadAsync(key, ct);
        public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken ct = default) => inner.ListAsync(prefix, ct);
        public Task RemoveLeftoversAsync(string prefix, CancellationToken ct = default) => inner.RemoveLeftoversAsync(prefix, ct);

        public Task DeleteAsync(string key, CancellationToken ct = default)
        {
            Deleted.Add(key);
            return inner.DeleteAsync(key, ct);
        }

        public Task DeleteManyAsync(IEnumerable<string> keys, CancellationToken ct = default)
        {
            var list = keys.ToList();
            Deleted.AddRange(list);
            return inner.DeleteManyAsync(list, ct);
        }
    }
}
