using System.Buffers;
using System.Security.Cryptography;
using PgBackup.Errors;
using PgBackup.Repository;
using PgBackup.Repository.Catalog;
using PgBackup.Repository.Packs;

namespace PgBackup.Formats.NativeIncremental;

/// <summary>
/// Reads byte ranges of one stored file by decoding the chunk that holds them, keeping the last
/// decoded chunk: reconstruction reads each source front to back, so every chunk is fetched once.
/// Each decoded chunk is checked against the SHA-256 the manifest recorded before any byte is used.
/// </summary>
internal sealed class StoredFileReader(BackupRepository repository, FileVersion version, ChunkReader reader) : IDisposable
{
    private byte[]? _plain;
    private int _cached = -1;

    public FileVersion Version => version;

    /// <summary>Fills <paramref name="destination"/> from the file's bytes at <paramref name="offset"/>.</summary>
    /// <exception cref="RepositoryException">The range lies beyond the file, or a chunk is missing or damaged.</exception>
    public async ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken ct)
    {
        var chunkSize = version.Backup.ChunkSize;
        while (!destination.IsEmpty)
        {
            var index = (int)(offset / chunkSize);
            if (offset + destination.Length > version.File.Size || index >= version.File.Chunks.Count)
                throw Damaged($"a read of {destination.Length} bytes at {offset} goes beyond its {version.File.Size} bytes");
            if (index != _cached) await LoadAsync(index, ct).ConfigureAwait(false);
            var within = (int)(offset - (long)index * chunkSize);
            var n = Math.Min(destination.Length, version.File.Chunks[index].PlainLength - within);
            if (n <= 0) throw Damaged($"its chunk {index} holds {version.File.Chunks[index].PlainLength} bytes, fewer than the chunk size");
            _plain.AsMemory(within, n).CopyTo(destination);
            offset += n;
            destination = destination[n..];
        }
    }

    private async Task LoadAsync(int index, CancellationToken ct)
    {
        var chunk = version.File.Chunks[index];
        if (chunk.Pack < 0 || chunk.Pack >= version.Backup.Packs.Count)
            throw Damaged($"the manifest points its chunk {index} at pack {chunk.Pack}, which backup {version.Backup.Id} does not have");
        _plain ??= ArrayPool<byte>.Shared.Rent(version.Backup.ChunkSize);
        _cached = -1;
        var key = BackupObjects.PackKey(repository, version.Backup, version.Backup.Packs[chunk.Pack]);
        await reader.ReadAsync(new ChunkRef(key, chunk.Offset, chunk.StoredLength, chunk.PlainLength), _plain, ct).ConfigureAwait(false);
        if (chunk.PlainSha256 is { } expected && Convert.ToHexStringLower(SHA256.HashData(_plain.AsSpan(0, chunk.PlainLength))) is var sha256 && sha256 != expected)
            throw Damaged($"its chunk at {(long)index * version.Backup.ChunkSize} has SHA-256 {sha256}, the backup recorded {expected}");
        _cached = index;
    }

    private RepositoryException Damaged(string why) =>
        new($"{version.File.Path} of backup {version.Backup.Id} is damaged: {why}; run `pgbackup verify {version.Backup.Id}`");

    public void Dispose()
    {
        if (_plain is not null) ArrayPool<byte>.Shared.Return(_plain);
        _plain = null;
    }
}
