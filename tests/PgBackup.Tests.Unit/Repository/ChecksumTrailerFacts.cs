using System.Security.Cryptography;
using PgBackup.Errors;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Storage;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace PgBackup.Tests.Unit.Repository;

/// <summary>Encoded objects (WAL segments, partial segments, history files) carry the SHA-256 of their plain content in a trailer.</summary>
public sealed class ChecksumTrailerFacts : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly LocalDirectoryObjectStore _store;
    private readonly RepositoryCodec _codec = new();

    public ChecksumTrailerFacts() => _store = new LocalDirectoryObjectStore(_dir.Path);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task An_encoded_object_ends_in_a_skippable_frame_with_the_sha256_of_its_plain_content_and_of_its_frames()
    {
        var plain = CodecFacts.SampleContent(50_000);

        await _store.PutEncodedAsync("wal/00000001/000000010000000000000003.partial.zst", _codec, new MemoryStream(plain));

        var stored = await File.ReadAllBytesAsync(Path.Combine(_dir.Path, "wal/00000001/000000010000000000000003.partial.zst"));
        Assert.Equal(new byte[] { 0x5C, 0x2A, 0x4D, 0x18, 68, 0, 0, 0 }, stored[^76..^68]);
        Assert.Equal("PGB1"u8.ToArray(), stored[^68..^64]);
        Assert.Equal(SHA256.HashData(plain), stored[^64..^32]);
        Assert.Equal(SHA256.HashData(stored[..^76]), stored[^32..]);
    }

    /// <summary>zstd -d, and pgbackup versions that knew no trailer, skip the frame: the object stays a plain zstd stream.</summary>
    [Fact]
    public async Task A_plain_zstd_decoder_reads_an_object_with_a_trailer_unchanged()
    {
        var plain = CodecFacts.SampleContent(50_000);
        await _store.PutEncodedAsync("obj.zst", _codec, new MemoryStream(plain));

        await using var stored = File.OpenRead(Path.Combine(_dir.Path, "obj.zst"));
        await using var zstd = new DecompressionStream(stored, checkEndOfStream: true);
        var copy = new MemoryStream();
        await zstd.CopyToAsync(copy);

        Assert.Equal(plain, copy.ToArray());
    }

    [Fact]
    public async Task Every_single_flipped_byte_of_an_encoded_object_is_a_repository_error_naming_it()
    {
        await _store.PutEncodedAsync("obj.zst", _codec, new MemoryStream(CodecFacts.SampleContent(3_000)));
        var path = Path.Combine(_dir.Path, "obj.zst");
        var original = await File.ReadAllBytesAsync(path);

        var passed = new List<string>();
        for (var i = 0; i < original.Length; i++)
        {
            foreach (var mask in new byte[] { 0x01, 0x04, 0x10, 0x80, 0xFF })
            {
                var damaged = (byte[])original.Clone();
                damaged[i] ^= mask;
                await File.WriteAllBytesAsync(path, damaged);
                try
                {
                    await _store.GetDecodedAsync("obj.zst", _codec, Stream.Null);
                    passed.Add($"byte {i} ^ 0x{mask:X2}");
                }
                catch (RepositoryException e)
                {
                    Assert.Contains("obj.zst", e.Message);
                }
            }
        }

        Assert.Empty(passed);
    }

    [Fact]
    public async Task Content_that_decodes_but_disagrees_with_the_trailer_is_refused()
    {
        // A frame whose content is intact by zstd's own checksum, followed by the trailer of other content.
        var plain = CodecFacts.SampleContent(10_000, seed: 1);
        var stored = new MemoryStream();
        await using (var zstd = new CompressionStream(stored, leaveOpen: true))
        {
            zstd.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
            await zstd.WriteAsync(plain);
        }
        stored.Write(ChecksumTrailer.Create(SHA256.HashData(CodecFacts.SampleContent(10_000, seed: 2)), SHA256.HashData(stored.ToArray())));
        await _store.PutAsync("obj.zst", stored.ToArray());

        var e = await Assert.ThrowsAsync<RepositoryException>(() => _store.GetDecodedAsync("obj.zst", _codec, Stream.Null));

        Assert.Contains("checksum trailer records", e.Message);
    }

    /// <summary>Objects written before trailers existed: one zstd frame with a content checksum, nothing after it.</summary>
    [Fact]
    public async Task An_object_without_a_trailer_reads_as_unchecked()
    {
        var plain = CodecFacts.SampleContent(10_000);
        var stored = new MemoryStream();
        await using (var zstd = new CompressionStream(stored, leaveOpen: true))
        {
            zstd.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
            await zstd.WriteAsync(plain);
        }
        await _store.PutAsync("old.zst", stored.ToArray());

        var copy = new MemoryStream();
        var decoded = await _store.GetDecodedAsync("old.zst", _codec, copy);

        Assert.Equal(TrailerState.Absent, decoded.Trailer);
        Assert.Equal(plain, copy.ToArray());
    }

    [Theory]
    [InlineData(0, 0x01)]  // magic number: another skippable frame
    [InlineData(8, 0x20)]  // tag
    public void A_trailer_shaped_frame_that_is_not_an_intact_trailer_is_damage_not_an_older_object(int at, byte mask)
    {
        var trailer = ChecksumTrailer.Create(new byte[32], new byte[32]);
        trailer[at] ^= mask;

        Assert.Throws<InvalidDataException>(() => ChecksumTrailer.Read(trailer));
    }
}
