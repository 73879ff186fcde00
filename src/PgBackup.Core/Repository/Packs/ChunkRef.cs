namespace PgBackup.Repository.Packs;

/// <summary>
/// Where one chunk's bytes live, as the backup manifest records it: <paramref name="StoredLength"/>
/// bytes at <paramref name="Offset"/> in the pack object <paramref name="PackKey"/>, decoding to
/// <paramref name="PlainLength"/> bytes of file content.
/// </summary>
public sealed record ChunkRef(string PackKey, long Offset, int StoredLength, int PlainLength);

/// <summary>A chunk read back from a pack; <see cref="Plain"/> is only valid until the reader moves on.</summary>
public readonly record struct DecodedChunk(ChunkRef Chunk, ReadOnlyMemory<byte> Plain);

/// <summary>A pack as stored: its key, size and the SHA-256 of its stored bytes.</summary>
public sealed record StoredPack(string Key, long Size, string Sha256);
