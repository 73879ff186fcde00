using System.Security.Cryptography;
using System.Text;
using PgBackup.Errors;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Storage;

namespace PgBackup.Tests.Unit.Repository;

public sealed class CodecFacts : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly RepositoryCodec _codec = new(compressionLevel: 3);

    public void Dispose() => _dir.Dispose();

    /// <summary>Compressible like a heap page: repeated text with some noise.</summary>
    internal static byte[] SampleContent(int length, int seed = 1)
    {
        var random = new Random(seed);
        var text = new StringBuilder();
        while (text.Length < length)
            text.Append("row ").Append(random.Next(1000)).Append(" pgbench_accounts filler ");
        return Encoding.ASCII.GetBytes(text.ToString(0, length));
    }

    [Fact]
    public void Chunk_round_trips_and_compresses()
    {
        var plain = SampleContent(4 << 20);
        using var chunks = _codec.CreateChunkCodec();
        var stored = new byte[ChunkCodec.MaxEncodedLength(plain.Length)];

        var storedLength = chunks.Encode(plain, stored);
        var decoded = new byte[plain.Length];
        chunks.Decode(stored.AsSpan(0, storedLength), decoded);

        Assert.True(storedLength < plain.Length / 2);
        Assert.Equal(plain, decoded);
    }

    [Fact]
    public void Chunk_with_a_flipped_byte_fails_to_decode()
    {
        var plain = SampleContent(100_000);
        using var chunks = _codec.CreateChunkCodec();
        var stored = new byte[ChunkCodec.MaxEncodedLength(plain.Length)];
        var storedLength = chunks.Encode(plain, stored);

        stored[storedLength / 2] ^= 0x40;

        Assert.Throws<InvalidDataException>(() => chunks.Decode(stored.AsSpan(0, storedLength), new byte[plain.Length]));
    }

    /// <summary>The frame proves itself intact, so a wrong recorded length is told from a damaged frame (verify blames the manifest).</summary>
    [Theory]
    [InlineData(+1)]
    [InlineData(-1)]
    [InlineData(-9_000)]
    public void Intact_chunk_decoded_to_another_length_than_recorded_is_a_length_mismatch_with_its_true_length(int wrongBy)
    {
        var plain = SampleContent(10_000);
        using var chunks = _codec.CreateChunkCodec();
        var stored = new byte[ChunkCodec.MaxEncodedLength(plain.Length)];
        var storedLength = chunks.Encode(plain, stored);

        var e = Assert.Throws<ChunkLengthMismatchException>(() => chunks.Decode(stored.AsSpan(0, storedLength), new byte[plain.Length + wrongBy]));

        Assert.Equal(plain.Length, e.ActualLength);
        Assert.Equal(plain.Length + wrongBy, e.ExpectedLength);
    }

    [Fact]
    public async Task Encoded_object_round_trips_with_the_plain_sha256_on_both_sides()
    {
        var store = new LocalDirectoryObjectStore(_dir.Path);
        var plain = SampleContent(16 << 20);

        var written = await store.PutEncodedAsync("seg.zst", _codec, new MemoryStream(plain));
        var copy = new MemoryStream();
        var read = await store.GetDecodedAsync("seg.zst", _codec, copy);

        var expected = Convert.ToHexStringLower(SHA256.HashData(plain));
        Assert.Equal(expected, written);
        Assert.Equal(new DecodedObject(expected, plain.Length, TrailerState.Verified), read);
        Assert.Equal(plain, copy.ToArray());
        Assert.True((await store.HeadAsync("seg.zst"))!.Size < plain.Length / 2);
    }

    [Fact]
    public async Task Encoded_put_from_a_failing_source_stores_nothing()
    {
        var store = new LocalDirectoryObjectStore(_dir.Path);

        await Assert.ThrowsAsync<IOException>(() => store.PutEncodedAsync("seg.zst", _codec, new FailingStream(3_000_000)));

        Assert.Null(await store.HeadAsync("seg.zst"));
    }

    [Fact]
    public async Task Corrupt_encoded_object_is_a_repository_error_naming_it()
    {
        var store = new LocalDirectoryObjectStore(_dir.Path);
        await store.PutEncodedAsync("obj.zst", _codec, new MemoryStream(SampleContent(200_000)));
        var path = Path.Combine(_dir.Path, "obj.zst");
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[bytes.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(path, bytes);

        var e = await Assert.ThrowsAsync<RepositoryException>(() => store.GetDecodedAsync("obj.zst", _codec, Stream.Null));

        Assert.Contains("obj.zst", e.Message);
    }

    [Fact]
    public void Hashing_stream_hashes_what_is_read_through_it()
    {
        var plain = SampleContent(1_000_000);
        using var hashing = new HashingStream(new MemoryStream(plain));

        hashing.CopyTo(Stream.Null);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(plain)), hashing.Sha256);
        Assert.Equal(plain.Length, hashing.BytesHashed);
    }
}
