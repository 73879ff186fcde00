using System.Security.Cryptography;
using PgBackup.Errors;
using PgBackup.Repository;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Storage;
using static PgBackup.Tests.Unit.Repository.Encryption.EncryptionSamples;

namespace PgBackup.Tests.Unit.Repository.Encryption;

/// <summary>Whole objects (WAL segments, manifests): zstd, then sealed in 1 MiB authenticated blocks.</summary>
public sealed class EncryptedObjectFacts : IDisposable
{
    private const int Block = 1 << 20;
    private const int SealedBlock = Block + 16;

    private readonly TempDirectory _dir = new();
    private readonly LocalDirectoryObjectStore _store;
    private readonly RepositoryCodec _codec = new(3, Key);

    public EncryptedObjectFacts() => _store = new LocalDirectoryObjectStore(_dir.Path);

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Block - 100)]
    [InlineData(Block)]
    [InlineData(3 * Block + 12345)]
    public async Task Object_round_trips_with_the_plain_sha256(int length)
    {
        var plain = Noise(length);

        var written = await _store.PutEncodedAsync("obj", _codec, new MemoryStream(plain));
        var copy = new MemoryStream();
        var read = await _store.GetDecodedAsync("obj", _codec, copy);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(plain)), written);
        Assert.Equal(written, read.PlainSha256);
        Assert.Equal(TrailerState.Verified, read.Trailer);
        Assert.Equal(plain, copy.ToArray());
    }

    [Fact]
    public async Task A_16_MiB_segment_round_trips_and_is_stored_neither_as_zstd_nor_as_text()
    {
        var plain = Rows(16 << 20);

        await _store.PutEncodedAsync("wal/seg.zst", _codec, new MemoryStream(plain));
        var stored = await StoredAsync("wal/seg.zst");
        var copy = new MemoryStream();
        await _store.GetDecodedAsync("wal/seg.zst", _codec, copy);

        Assert.Equal(plain, copy.ToArray());
        Assert.True(stored.Length < plain.Length / 2, "compressed before it is encrypted");
        Assert.False(stored.AsSpan().StartsWith(RepositoryCodec.FrameMagic));
        Assert.False(stored.AsSpan(16).StartsWith(RepositoryCodec.FrameMagic));
        Assert.False(Contains(stored, Marker));
    }

    [Fact]
    public async Task A_flipped_byte_anywhere_is_a_repository_error_naming_the_object()
    {
        await _store.PutEncodedAsync("wal/seg.zst", _codec, new MemoryStream(Noise(3 * Block)));
        var original = await StoredAsync("wal/seg.zst");

        foreach (var position in new[] { 0, 15, 16, SealedBlock + 16 - 1, SealedBlock + 16 + 500, original.Length / 2, original.Length - 1 })
        {
            var damaged = original.ToArray();
            damaged[position] ^= 0x04;
            await StoreAsync("wal/seg.zst", damaged);

            var e = await Assert.ThrowsAsync<RepositoryException>(() => _store.GetDecodedAsync("wal/seg.zst", _codec, Stream.Null));

            Assert.StartsWith($"cannot decrypt 'wal/seg.zst' in {_store.Describe}: wrong encryption key or the object was modified", e.Message);
        }
    }

    [Fact]
    public async Task Truncation_is_detected_even_at_a_block_boundary()
    {
        await _store.PutEncodedAsync("obj", _codec, new MemoryStream(Noise(3 * Block)));
        var original = await StoredAsync("obj");

        foreach (var length in new[] { 0, 10, 16, 16 + SealedBlock, 16 + 2 * SealedBlock, original.Length - 1 })
        {
            await StoreAsync("obj", original[..length]);

            var e = await Assert.ThrowsAsync<RepositoryException>(() => _store.GetDecodedAsync("obj", _codec, Stream.Null));

            Assert.Contains("cannot decrypt 'obj'", e.Message);
        }
    }

    [Fact]
    public async Task Appended_bytes_are_detected()
    {
        await _store.PutEncodedAsync("obj", _codec, new MemoryStream(Noise(Block / 2)));
        var original = await StoredAsync("obj");
        await StoreAsync("obj", [.. original, .. original[16..]]);

        await Assert.ThrowsAsync<RepositoryException>(() => _store.GetDecodedAsync("obj", _codec, Stream.Null));
    }

    [Fact]
    public async Task Blocks_swapped_between_positions_are_detected()
    {
        await _store.PutEncodedAsync("obj", _codec, new MemoryStream(Noise(3 * Block)));
        var s = await StoredAsync("obj");
        var first = s.AsSpan(16, SealedBlock).ToArray();
        var second = s.AsSpan(16 + SealedBlock, SealedBlock).ToArray();
        first.CopyTo(s, 16 + SealedBlock);
        second.CopyTo(s, 16);
        await StoreAsync("obj", s);

        await Assert.ThrowsAsync<RepositoryException>(() => _store.GetDecodedAsync("obj", _codec, Stream.Null));
    }

    [Fact]
    public async Task Another_key_is_a_repository_error_and_writes_no_plain_byte()
    {
        await _store.PutEncodedAsync("obj", _codec, new MemoryStream(Rows(2 * Block)));
        var destination = new MemoryStream();

        var e = await Assert.ThrowsAsync<RepositoryException>(() => _store.GetDecodedAsync("obj", new RepositoryCodec(3, OtherKey), destination));

        Assert.Contains("wrong encryption key", e.Message);
        Assert.Equal(0, destination.Length);
    }

    [Fact]
    public async Task Pushing_the_same_segment_again_is_a_no_op_although_its_ciphertext_differs()
    {
        var wal = new WalObjects(_store, new RepositoryLayout("main"), _codec);
        var segment = Rows(1 << 20);

        Assert.Equal(WalPushResult.Archived, await wal.PushSegmentAsync(1, "000000010000000000000001", new MemoryStream(segment)));
        Assert.Equal(WalPushResult.AlreadyArchived, await wal.PushSegmentAsync(1, "000000010000000000000001", new MemoryStream(segment)));
        segment[100] ^= 1;
        await Assert.ThrowsAsync<RepositoryException>(() => wal.PushSegmentAsync(1, "000000010000000000000001", new MemoryStream(segment)));
    }

    [Fact]
    public async Task Encrypted_document_is_sealed_and_reads_back()
    {
        var json = """{"files": ["base/16384/CONFIDENTIAL-MARKER-7f3a"]}"""u8.ToArray();

        await _store.PutDocumentAsync("b/manifest.json", _codec, DocumentKind.BackupManifest, json);
        var read = await _store.ReadDocumentAsync("b/manifest.json", _codec, DocumentKind.BackupManifest, content => content.ToArray());

        Assert.Equal(json, read);
        Assert.False(Contains(await StoredAsync("b/manifest.json"), Marker));
    }

    [Fact]
    public async Task Small_document_of_an_unencrypted_repository_stays_plain_json()
    {
        var json = """{"host": "h"}"""u8.ToArray();

        await _store.PutDocumentAsync("b/lease.json", new RepositoryCodec(), DocumentKind.BackupLease, json);

        Assert.Equal(DocumentChecksum.Seal(json), await StoredAsync("b/lease.json"));
    }

    [Fact]
    public async Task Manifest_of_an_unencrypted_repository_is_a_zstd_object_any_zstd_decodes()
    {
        var json = """{"id": "x"}"""u8.ToArray();

        await _store.PutDocumentAsync("b/manifest.json", new RepositoryCodec(), DocumentKind.BackupManifest, json);

        using var decompressor = new ZstdSharp.DecompressionStream(new MemoryStream(await StoredAsync("b/manifest.json")));
        using var plain = new MemoryStream();
        await decompressor.CopyToAsync(plain);
        Assert.Equal(DocumentChecksum.Seal(json), plain.ToArray());
    }

    [Fact]
    public async Task Tampered_document_is_a_repository_error_naming_it()
    {
        await _store.PutDocumentAsync("b/lease.json", _codec, DocumentKind.BackupLease, """{"host": "h"}"""u8.ToArray());
        var stored = await StoredAsync("b/lease.json");
        stored[^3] ^= 1;
        await StoreAsync("b/lease.json", stored);

        var e = await Assert.ThrowsAsync<RepositoryException>(() =>
            _store.ReadDocumentAsync("b/lease.json", _codec, DocumentKind.BackupLease, content => content.Length));

        Assert.Contains("cannot decrypt 'b/lease.json'", e.Message);
    }

    private Task<byte[]> StoredAsync(string key) => File.ReadAllBytesAsync(Path.Combine(_dir.Path, key));

    private Task StoreAsync(string key, byte[] bytes) => File.WriteAllBytesAsync(Path.Combine(_dir.Path, key), bytes);
}
