using System.Security.Cryptography;
using PgBackup.Errors;
using PgBackup.Repository.Storage;

namespace PgBackup.Tests.Unit.Repository;

public sealed class LocalDirectoryObjectStoreFacts : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly LocalDirectoryObjectStore _store;

    public LocalDirectoryObjectStoreFacts() => _store = new LocalDirectoryObjectStore(_dir.Path);

    public void Dispose() => _dir.Dispose();

    /// <summary>A put killed mid-write (kill -9: no cleanup runs) leaves its temporary file; removing a dead backup's leftovers takes it and the emptied folders, not the objects.</summary>
    [Fact]
    public async Task Leftovers_of_a_killed_put_are_removed_but_objects_stay()
    {
        await _store.PutAsync("c/backups/1/lease.json", new MemoryStream([1]));
        Directory.CreateDirectory(Path.Combine(_dir.Path, "c", "backups", "1", "data"));
        File.WriteAllBytes(Path.Combine(_dir.Path, "c", "backups", "1", "data", ".000001.pack.0123456789abcdef.pgbackup-tmp"), [2]);

        await _store.RemoveLeftoversAsync("c/backups/1/");

        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "c", "backups", "1", "data")));
        Assert.Equal(["c/backups/1/lease.json"], await _store.ListAsync("c/backups/1/").Select(o => o.Key).ToListAsync());
    }

    [Fact]
    public async Task Put_then_read_returns_the_same_bytes()
    {
        var body = RandomNumberGenerator.GetBytes(3_000_000);

        await _store.PutAsync("a/b/c.bin", new MemoryStream(body));

        await using var read = await _store.OpenReadAsync("a/b/c.bin");
        var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        Assert.Equal(body, copy.ToArray());
    }

    [Fact]
    public async Task Failing_content_stream_leaves_no_object_and_no_visible_debris()
    {
        await _store.PutAsync("keep", new byte[] { 1 });

        await Assert.ThrowsAsync<IOException>(() => _store.PutAsync("dir/broken", new FailingStream(5_000_000)));

        Assert.Null(await _store.HeadAsync("dir/broken"));
        Assert.Equal(["keep"], await _store.ListAsync("").Select(o => o.Key).ToListAsync());
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir.Path, "dir")));
    }

    [Fact]
    public async Task Failing_put_over_an_existing_object_keeps_the_old_one()
    {
        await _store.PutAsync("x", new byte[] { 7, 7 });

        await Assert.ThrowsAsync<IOException>(() => _store.PutAsync("x", new FailingStream(100)));

        Assert.Equal(2, (await _store.HeadAsync("x"))!.Size);
    }

    [Fact]
    public async Task Ranged_read_returns_exactly_the_range()
    {
        var body = RandomNumberGenerator.GetBytes(100_000);
        await _store.PutAsync("r", body);

        await using var read = await _store.OpenReadAsync("r", 1000, 5000);
        var copy = new MemoryStream();
        await read.CopyToAsync(copy);

        Assert.Equal(body.AsSpan(1000, 5000).ToArray(), copy.ToArray());
    }

    [Fact]
    public async Task Ranged_read_past_the_end_names_the_object()
    {
        await _store.PutAsync("r", new byte[10]);

        var e = await Assert.ThrowsAsync<RepositoryException>(() => _store.OpenReadAsync("r", 5, 6));

        Assert.Contains("'r'", e.Message);
    }

    [Fact]
    public async Task Missing_object_is_ObjectNotFound()
    {
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => _store.OpenReadAsync("no/such"));
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => _store.OpenReadAsync("no/such", 0, 1));
        Assert.Null(await _store.HeadAsync("no/such"));
    }

    [Fact]
    public async Task List_is_recursive_ordinal_and_filters_by_partial_prefix()
    {
        foreach (var key in new[] { "c/wal/2", "c/backups/b/x", "c/backups/a", "c/backupsX", "d/other" })
            await _store.PutAsync(key, new byte[3]);

        Assert.Equal(["c/backups/a", "c/backups/b/x", "c/backupsX"], await _store.ListAsync("c/backups").Select(o => o.Key).ToListAsync());
        Assert.Equal(["c/backups/a", "c/backups/b/x"], await _store.ListAsync("c/backups/").Select(o => o.Key).ToListAsync());
        Assert.Empty(await _store.ListAsync("nothing/").ToListAsync());
        Assert.All(await _store.ListAsync("").ToListAsync(), o => Assert.Equal(3, o.Size));
    }

    [Fact]
    public async Task Delete_and_delete_many_ignore_absent_objects()
    {
        await _store.PutAsync("a/1", new byte[1]);
        await _store.PutAsync("a/2", new byte[1]);
        await _store.PutAsync("a/3", new byte[1]);

        await _store.DeleteAsync("a/1");
        await _store.DeleteAsync("never/was");
        await _store.DeleteManyAsync(["a/2", "a/404"]);

        Assert.Equal(["a/3"], await _store.ListAsync("").Select(o => o.Key).ToListAsync());
    }

    [Theory]
    [InlineData("/abs")]
    [InlineData("a/../b")]
    [InlineData("a//b")]
    [InlineData("a\\b")]
    [InlineData("dir/")]
    public async Task Keys_that_could_escape_the_root_are_rejected(string key) =>
        await Assert.ThrowsAsync<ArgumentException>(() => _store.PutAsync(key, new byte[1]));
}
