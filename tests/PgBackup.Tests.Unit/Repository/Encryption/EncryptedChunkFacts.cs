using PgBackup.Errors;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Packs;
using PgBackup.Repository.Storage;
using static PgBackup.Tests.Unit.Repository.Encryption.EncryptionSamples;

namespace PgBackup.Tests.Unit.Repository.Encryption;

public sealed class EncryptedChunkFacts : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ChunkCodec _chunks = new RepositoryCodec(3, Key).CreateChunkCodec();
    private readonly byte[] _plain = Rows(4 << 20);

    public void Dispose()
    {
        _chunks.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void Chunk_round_trips_compressed_and_sealed()
    {
        var stored = Encode(_plain);
        var decoded = new byte[_plain.Length];

        _chunks.Decode(stored, decoded);

        Assert.Equal(_plain, decoded);
        Assert.True(stored.Length < _plain.Length / 2, "compression happens before encryption");
        Assert.InRange(stored.Length, 1, ChunkCodec.MaxEncodedLength(_plain.Length));
    }

    [Fact]
    public void Stored_chunk_is_neither_zstd_nor_plain_text()
    {
        var stored = Encode(_plain);

        Assert.False(stored.AsSpan().StartsWith(RepositoryCodec.FrameMagic));
        Assert.False(stored.AsSpan(16).StartsWith(RepositoryCodec.FrameMagic)); // after the salt
        Assert.False(Contains(stored, Marker));
    }

    [Fact]
    public void The_same_chunk_encrypts_differently_every_time() =>
        Assert.NotEqual(Encode(_plain), Encode(_plain));

    [Fact]
    public void Incompressible_chunk_fits_in_max_encoded_length()
    {
        var noise = Noise(4 << 20);
        var destination = new byte[ChunkCodec.MaxEncodedLength(noise.Length)];

        var length = _chunks.Encode(noise, destination);

        var decoded = new byte[noise.Length];
        _chunks.Decode(destination.AsSpan(0, length), decoded);
        Assert.Equal(noise, decoded);
    }

    [Theory]
    [InlineData(0)]           // salt
    [InlineData(20)]          // start of ciphertext
    [InlineData(-1)]          // middle
    [InlineData(-17)]         // last ciphertext byte
    [InlineData(-2)]          // tag
    public void A_flipped_byte_anywhere_fails_decryption(int at)
    {
        var stored = Encode(_plain);
        var position = at switch { -1 => stored.Length / 2, < 0 => stored.Length + at + 1, _ => at };
        stored[position] ^= 0x01;

        Assert.Throws<DecryptionFailedException>(() => _chunks.Decode(stored, new byte[_plain.Length]));
    }

    [Fact]
    public void A_truncated_chunk_fails_decryption()
    {
        var stored = Encode(_plain);

        Assert.Throws<DecryptionFailedException>(() => _chunks.Decode(stored.AsSpan(0, stored.Length - 1), new byte[_plain.Length]));
        Assert.Throws<DecryptionFailedException>(() => _chunks.Decode(stored.AsSpan(0, 10), new byte[_plain.Length]));
    }

    [Fact]
    public void Another_key_fails_decryption()
    {
        var stored = Encode(_plain);
        using var other = new RepositoryCodec(3, OtherKey).CreateChunkCodec();

        Assert.Throws<DecryptionFailedException>(() => other.Decode(stored, new byte[_plain.Length]));
    }

    [Fact]
    public async Task A_tampered_chunk_in_a_pack_is_a_repository_error_naming_pack_and_offset()
    {
        var store = new LocalDirectoryObjectStore(_dir.Path);
        var stored = Encode(_plain);
        stored[stored.Length / 3] ^= 0x80;
        var padding = new byte[100];
        await store.PutAsync("b/data/000001.pack", padding.Concat(stored).ToArray());
        using var reader = new ChunkReader(store, new RepositoryCodec(3, Key));

        var e = await Assert.ThrowsAsync<RepositoryException>(() =>
            reader.ReadAsync(new ChunkRef("b/data/000001.pack", 100, stored.Length, _plain.Length), new byte[_plain.Length]));

        Assert.StartsWith("cannot decrypt the chunk at offset 100 of 'b/data/000001.pack' in ", e.Message);
        Assert.Contains("wrong encryption key or the object was modified", e.Message);
        Assert.Equal(4, e.ExitCode);
    }

    [Fact]
    public void A_piece_the_source_compressed_is_sealed_as_it_is_and_opens_back()
    {
        var codec = new RepositoryCodec(3, Key);
        var piece = Rows(1 << 20);
        var stored = new byte[piece.Length + RepositoryCodec.PieceOverhead];

        var length = codec.SealPiece(piece, stored);
        var opened = new byte[length];
        var openedLength = codec.OpenPiece(stored.AsSpan(0, length), opened);

        Assert.Equal(piece.Length + RepositoryCodec.PieceOverhead, length);
        Assert.Equal(piece, opened[..openedLength]);
        Assert.False(Contains(stored, Marker));
        stored[length / 2] ^= 1;
        Assert.Throws<DecryptionFailedException>(() => codec.OpenPiece(stored.AsSpan(0, length), opened));
    }

    private byte[] Encode(byte[] plain)
    {
        var destination = new byte[ChunkCodec.MaxEncodedLength(plain.Length)];
        return destination[.._chunks.Encode(plain, destination)];
    }
}
