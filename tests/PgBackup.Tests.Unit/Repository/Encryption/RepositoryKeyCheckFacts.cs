using PgBackup.Errors;
using PgBackup.Repository;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Storage;
using static PgBackup.Tests.Unit.Repository.Encryption.EncryptionSamples;

namespace PgBackup.Tests.Unit.Repository.Encryption;

/// <summary>repo.json's key check: a repository is opened with its own key, or with none if it has none, before anything else happens.</summary>
public sealed class RepositoryKeyCheckFacts : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly RepositoryLayout _layout = new("main");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task The_creating_key_opens_the_repository()
    {
        await CreateAsync(Key);

        using var repository = Open(Key);

        await repository.Wal.PushSegmentAsync(1, "000000010000000000000001", new MemoryStream(Noise(1000)));
        var json = await File.ReadAllTextAsync(Path.Combine(_dir.Path, "main", "repo.json"));
        Assert.Contains($"\"keyCheck\": \"{Key.KeyCheck}\"", json);
    }

    [Fact]
    public async Task Another_key_is_refused_before_any_object_is_touched()
    {
        await CreateAsync(Key);
        using var repository = Open(OtherKey);

        var e = await Assert.ThrowsAsync<RepositoryMismatchException>(() => repository.Wal.PushSegmentAsync(1, "000000010000000000000001", new MemoryStream(Noise(1000))));

        Assert.Equal($"'main/repo.json' in {repository.Store.Describe}: the policy's encryption key is not this repository's key (the key check in repo.json differs): use the key the repository was created with", e.Message);
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "main", "wal")));
    }

    [Fact]
    public async Task An_encrypted_repository_without_a_key_is_refused()
    {
        await CreateAsync(Key);
        using var repository = Open(null);

        var e = await Assert.ThrowsAsync<RepositoryMismatchException>(async () => await repository.Store.ListAsync(repository.Layout.BackupsPrefix).ToListAsync());

        Assert.Contains("the repository is encrypted: set repository.encryption_key_env or repository.encryption_key_file", e.Message);
    }

    [Fact]
    public async Task A_plain_repository_refuses_a_key()
    {
        await CreateAsync(null);
        using var repository = Open(Key);

        var e = await Assert.ThrowsAsync<RepositoryMismatchException>(() => repository.Store.HeadAsync("main/anything"));

        Assert.Contains("the repository is not encrypted, but the policy gives an encryption key", e.Message);
    }

    [Fact]
    public async Task Creating_over_a_repository_with_another_key_is_refused()
    {
        await CreateAsync(Key);

        var e = await Assert.ThrowsAsync<RepositoryMismatchException>(() => RepositoryDescriptor.OpenOrCreateAsync(
            new LocalDirectoryObjectStore(_dir.Path), _layout, Descriptor(OtherKey)));

        Assert.Contains("is not this repository's key", e.Message);
    }

    private BackupRepository Open(EncryptionKey? key) => new(new LocalDirectoryObjectStore(_dir.Path), _layout, new RepositoryCodec(3, key));

    private async Task CreateAsync(EncryptionKey? key)
    {
        using var repository = Open(key);
        await RepositoryDescriptor.OpenOrCreateAsync(repository.Store, _layout, Descriptor(key));
    }

    private static RepositoryDescriptor Descriptor(EncryptionKey? key) => new()
    {
        SystemIdentifier = "7312345678901234567",
        PgMajor = 15,
        ChunkSize = 4 << 20,
        CreatedAt = DateTimeOffset.UnixEpoch,
        KeyCheck = key?.KeyCheck,
    };
}
