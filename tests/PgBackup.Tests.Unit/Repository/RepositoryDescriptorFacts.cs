using PgBackup.Errors;
using PgBackup.Repository;
using PgBackup.Repository.Storage;

namespace PgBackup.Tests.Unit.Repository;

public sealed class RepositoryDescriptorFacts : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly LocalDirectoryObjectStore _store;
    private readonly RepositoryLayout _layout = new("main");

    private static readonly RepositoryDescriptor Ours = new()
    {
        SystemIdentifier = "7312345678901234567",
        PgMajor = 15,
        ChunkSize = 4 << 20,
        CreatedAt = new DateTimeOffset(2026, 11, 27, 2, 15, 0, TimeSpan.Zero),
    };

    public RepositoryDescriptorFacts() => _store = new LocalDirectoryObjectStore(_dir.Path);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task New_repository_gets_the_descriptor_and_reads_it_back()
    {
        Assert.Null(await RepositoryDescriptor.ReadAsync(_store, _layout));

        await RepositoryDescriptor.OpenOrCreateAsync(_store, _layout, Ours);

        Assert.Equal(Ours, await RepositoryDescriptor.ReadAsync(_store, _layout));
        Assert.Equal(Ours, await RepositoryDescriptor.OpenOrCreateAsync(_store, _layout, Ours with { CreatedAt = DateTimeOffset.UnixEpoch }));
        var json = await File.ReadAllTextAsync(Path.Combine(_dir.Path, "main", "repo.json"));
        Assert.Contains("\"formatVersion\": 1", json);
        Assert.Contains("\"compression\": \"zstd\"", json);
    }

    [Fact]
    public async Task Another_system_identifier_is_refused_naming_both()
    {
        await RepositoryDescriptor.OpenOrCreateAsync(_store, _layout, Ours);

        var e = await Assert.ThrowsAsync<RepositoryMismatchException>(() => RepositoryDescriptor.OpenOrCreateAsync(_store, _layout, Ours with { SystemIdentifier = "7399999999999999999" }));

        Assert.Contains("7312345678901234567", e.Message);
        Assert.Contains("7399999999999999999", e.Message);
    }

    [Fact]
    public async Task Unknown_format_version_is_refused()
    {
        await _store.PutAsync(_layout.Descriptor, """{"formatVersion": 2, "systemIdentifier": "1", "pgMajor": 15, "chunkSize": 1, "createdAt": "2026-01-01T00:00:00Z"}"""u8.ToArray());

        var e = await Assert.ThrowsAsync<RepositoryMismatchException>(() => RepositoryDescriptor.ReadAsync(_store, _layout));

        Assert.Contains("format 2", e.Message);
    }
}
