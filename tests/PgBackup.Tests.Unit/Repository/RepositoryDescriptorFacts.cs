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
    public async Task A_flipped_digit_of_the_system_identifier_is_an_error_naming_repo_json_not_another_system()
    {
        await RepositoryDescriptor.OpenOrCreateAsync(_store, _layout, Ours);
        var path = Path.Combine(_dir.Path, "main", "repo.json");
        await File.WriteAllTextAsync(path, (await File.ReadAllTextAsync(path)).Replace("7312345678901234567", "7312345678901234568", StringComparison.Ordinal));

        var e = await Assert.ThrowsAsync<RepositoryException>(() => RepositoryDescriptor.OpenOrCreateAsync(_store, _layout, Ours));

        Assert.Contains("'main/repo.json'", e.Message);
        Assert.Contains("checksum", e.Message);
    }

    [Fact]
    public async Task A_repo_json_written_before_checksums_still_reads_unchecked()
    {
        var path = Path.Combine(_dir.Path, "main", "repo.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, """
            {
              "formatVersion": 1,
              "systemIdentifier": "7312345678901234567",
              "pgMajor": 15,
              "compression": "zstd",
              "chunkSize": 4194304,
              "createdAt": "2026-11-27T02:15:00+00:00",
              "keyCheck": null
            }
            """);

        var read = await RepositoryDescriptor.ReadCheckedAsync(_store, _layout);

        Assert.Equal((Ours, false), read);
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
