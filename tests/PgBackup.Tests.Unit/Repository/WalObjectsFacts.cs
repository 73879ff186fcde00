using PgBackup.Errors;
using PgBackup.Repository;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Storage;

namespace PgBackup.Tests.Unit.Repository;

public sealed class WalObjectsFacts : IDisposable
{
    private const string Segment = "000000010000000000000003";
    private readonly TempDirectory _dir = new();
    private readonly RepositoryLayout _layout = new("main");
    private readonly LocalDirectoryObjectStore _store;
    private readonly WalObjects _wal;

    public WalObjectsFacts()
    {
        _store = new LocalDirectoryObjectStore(_dir.Path);
        _wal = new WalObjects(_store, _layout, new RepositoryCodec());
    }

    public void Dispose() => _dir.Dispose();

    private static MemoryStream SegmentContent(int seed) => new(CodecFacts.SampleContent(16 << 20, seed));

    [Fact]
    public async Task Pushing_the_same_segment_twice_is_a_no_op()
    {
        Assert.Equal(WalPushResult.Archived, await _wal.PushSegmentAsync(1, Segment, SegmentContent(1)));

        Assert.Equal(WalPushResult.AlreadyArchived, await _wal.PushSegmentAsync(1, Segment, SegmentContent(1)));
    }

    [Fact]
    public async Task Pushing_different_content_fails_naming_the_key_and_both_hashes_and_keeps_the_original()
    {
        await _wal.PushSegmentAsync(1, Segment, SegmentContent(1));

        var e = await Assert.ThrowsAsync<RepositoryException>(() => _wal.PushSegmentAsync(1, Segment, SegmentContent(2)));

        Assert.Contains($"main/wal/00000001/{Segment}.zst", e.Message);
        Assert.Contains(Sha256(SegmentContent(1)), e.Message);
        Assert.Contains(Sha256(SegmentContent(2)), e.Message);
        var archived = new MemoryStream();
        Assert.True(await _wal.TryGetSegmentAsync(1, Segment, archived));
        Assert.Equal(SegmentContent(1).ToArray(), archived.ToArray());
    }

    [Fact]
    public async Task Partial_segment_is_replaced_and_not_listed_as_a_segment()
    {
        await _wal.PutPartialAsync(1, Segment, new MemoryStream([1, 2, 3]));
        await _wal.PutPartialAsync(1, Segment, new MemoryStream([4, 5]));
        await _wal.PushSegmentAsync(1, "000000010000000000000002", new MemoryStream([9]));

        var partial = new MemoryStream();
        Assert.True(await _wal.TryGetPartialAsync(1, Segment, partial));
        Assert.Equal([4, 5], partial.ToArray());
        var listed = await _store.ListAsync(_layout.WalPrefix).Select(o => _layout.TryParseWalObject(o.Key, out var name) ? name : null).ToListAsync();
        Assert.Equal([new WalObjectName(1, "000000010000000000000002", Partial: false), new WalObjectName(1, Segment, Partial: true)], listed);
    }

    [Fact]
    public async Task History_files_round_trip_and_absent_objects_read_as_false()
    {
        var history = "1\t0/3000000\tno recovery target specified\n"u8.ToArray();
        await _wal.PushHistoryAsync(2, new MemoryStream(history));

        var read = new MemoryStream();
        Assert.True(await _wal.TryGetHistoryAsync(2, read));
        Assert.Equal(history, read.ToArray());
        Assert.False(await _wal.TryGetHistoryAsync(3, Stream.Null));
        Assert.False(await _wal.TryGetSegmentAsync(1, Segment, Stream.Null));
    }

    private static string Sha256(MemoryStream content) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content.ToArray()));
}
