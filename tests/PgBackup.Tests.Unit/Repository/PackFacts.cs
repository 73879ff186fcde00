using PgBackup.Errors;
using PgBackup.Repository;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Packs;
using PgBackup.Repository.Storage;

namespace PgBackup.Tests.Unit.Repository;

public sealed class PackFacts : IDisposable
{
    private const string BackupId = "20261127T021500Z";
    private readonly TempDirectory _dir = new();
    private readonly LocalDirectoryObjectStore _store;
    private readonly RepositoryLayout _layout = new("main");
    private readonly RepositoryCodec _codec = new();

    public PackFacts() => _store = new LocalDirectoryObjectStore(_dir.Path);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Chunks_from_concurrent_workers_read_back_one_by_one_and_pack_by_pack()
    {
        // 4 workers x 10 chunks of 64 KiB into packs of ~256 KiB: many packs, several in flight.
        var written = new System.Collections.Concurrent.ConcurrentBag<(ChunkRef Chunk, byte[] Plain)>();
        await using (var packs = new PackWriter(_store, _layout, BackupId, targetPackSize: 256 << 10, maxPacksUploading: 2))
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, 4), async (worker, ct) =>
            {
                using var chunks = _codec.CreateChunkCodec();
                var stored = new byte[ChunkCodec.MaxEncodedLength(64 << 10)];
                for (var i = 0; i < 10; i++)
                {
                    // Incompressible, so the stored chunks really fill several packs.
                    var plain = new byte[(64 << 10) - i];
                    new Random(worker * 100 + i).NextBytes(plain);
                    var length = chunks.Encode(plain, stored);
                    written.Add((await packs.AppendAsync(stored.AsMemory(0, length), plain.Length, ct), plain));
                }
            });
            await packs.CompleteAsync();
            Assert.Equal(packs.StoredPacks.Select(p => p.Key), await _store.ListAsync(_layout.BackupPrefix(BackupId)).Select(o => o.Key).ToListAsync());
            Assert.True(packs.StoredPacks.Count > 2);
        }

        using var reader = new ChunkReader(_store, _codec);
        foreach (var (chunk, plain) in written)
        {
            var buffer = new byte[chunk.PlainLength];
            await reader.ReadAsync(chunk, buffer);
            Assert.Equal(plain, buffer);
        }
        var expected = written.ToDictionary(w => w.Chunk, w => w.Plain);
        var seen = 0;
        foreach (var pack in written.GroupBy(w => w.Chunk.PackKey))
            await foreach (var decoded in reader.ReadPackAsync(pack.Key, pack.Select(w => w.Chunk)))
            {
                Assert.Equal(expected[decoded.Chunk], decoded.Plain.ToArray());
                seen++;
            }
        Assert.Equal(40, seen);
    }

    [Fact]
    public async Task Corrupted_frame_is_reported_with_pack_key_and_offset()
    {
        ChunkRef victim;
        await using (var packs = new PackWriter(_store, _layout, BackupId))
        {
            using var chunks = _codec.CreateChunkCodec();
            var stored = new byte[ChunkCodec.MaxEncodedLength(100_000)];
            await packs.AppendAsync(stored.AsMemory(0, chunks.Encode(CodecFacts.SampleContent(100_000, 1), stored)), 100_000);
            victim = await packs.AppendAsync(stored.AsMemory(0, chunks.Encode(CodecFacts.SampleContent(100_000, 2), stored)), 100_000);
            await packs.CompleteAsync();
        }
        var path = Path.Combine(_dir.Path, victim.PackKey);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[victim.Offset + victim.StoredLength / 2] ^= 0x10;
        await File.WriteAllBytesAsync(path, bytes);

        using var reader = new ChunkReader(_store, _codec);
        var one = await Assert.ThrowsAsync<RepositoryException>(() => reader.ReadAsync(victim, new byte[victim.PlainLength]));
        var whole = await Assert.ThrowsAsync<RepositoryException>(async () =>
        {
            await foreach (var _ in reader.ReadPackAsync(victim.PackKey, [victim]))
            {
            }
        });

        foreach (var e in new[] { one, whole })
        {
            Assert.Contains(victim.PackKey, e.Message);
            Assert.Contains($"offset {victim.Offset}", e.Message);
        }
    }

    [Fact]
    public async Task Failed_pack_upload_surfaces_to_producers()
    {
        var store = new FailingPutStore();
        await using var packs = new PackWriter(store, _layout, BackupId, targetPackSize: 1000);

        await packs.AppendAsync(new byte[800], 800);
        await packs.AppendAsync(new byte[800], 800); // seals pack 1, whose upload fails

        await Assert.ThrowsAsync<RepositoryException>(() => packs.CompleteAsync());
    }

    private sealed class FailingPutStore : IObjectStore
    {
        public string Describe => "failing store";
        public Task PutAsync(string key, Stream content, CancellationToken ct = default) => throw new RepositoryException("disk full");
        public Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken ct = default) => throw new RepositoryException("disk full");
        public Task<Stream> OpenReadAsync(string key, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<Stream> OpenReadAsync(string key, long offset, long length, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<ObjectInfo?> HeadAsync(string key, CancellationToken ct = default) => throw new NotSupportedException();
        public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken ct = default) => throw new NotSupportedException();
        public Task DeleteAsync(string key, CancellationToken ct = default) => throw new NotSupportedException();
        public Task DeleteManyAsync(IEnumerable<string> keys, CancellationToken ct = default) => throw new NotSupportedException();
    }
}
