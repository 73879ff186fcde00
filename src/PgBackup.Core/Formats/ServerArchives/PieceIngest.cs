using System.Security.Cryptography;
using PgBackup.Repository.Catalog;
using PgBackup.Repository;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Packs;

namespace PgBackup.Formats.ServerArchives;

/// <summary>
/// Stores BASE_BACKUP archives exactly as the source compressed them (COMPRESSION 'zstd'): the
/// bytes are cut into pieces appended to the packs, untouched — PgBackup spends no CPU on them,
/// and the native zstd on the replica (with its own worker threads) does the compressing. In an
/// encrypted repository each piece is sealed as one unit, like a chunk.
/// </summary>
internal sealed class PieceIngest(PackWriter packs, BackupRepository repository) : IContentIngest
{
    private const int PieceSize = 4 << 20;
    private readonly List<(uint? Tablespace, string Name, long Size, List<(ChunkRef Piece, string Sha256)> Pieces)> _archives = [];
    private readonly byte[] _buffer = new byte[PieceSize];
    private readonly RepositoryCodec _codec = repository.Codec;
    private readonly byte[] _sealed = repository.Codec.IsEncrypted ? new byte[PieceSize + RepositoryCodec.PieceOverhead] : [];

    /// <summary>Null: the archives stay compressed, so only the source's progress reports know the plain bytes.</summary>
    public long? BytesRead => null;

    public string? CurrentFile => null;

    public async Task IngestAsync(Stream compressed, string name, uint? tablespace, CancellationToken ct)
    {
        var pieces = new List<(ChunkRef, string)>();
        long size = 0;
        while (true)
        {
            var filled = await compressed.ReadAtLeastAsync(_buffer, PieceSize, throwOnEndOfStream: false, ct).ConfigureAwait(false);
            if (filled == 0) break;
            var stored = _codec.IsEncrypted ? _sealed.AsMemory(0, _codec.SealPiece(_buffer.AsSpan(0, filled), _sealed)) : _buffer.AsMemory(0, filled);
            var sha256 = Convert.ToHexStringLower(SHA256.HashData(stored.Span));
            pieces.Add((await packs.AppendAsync(stored, filled, ct).ConfigureAwait(false), sha256));
            size += filled;
            if (filled < PieceSize) break;
        }
        _archives.Add((tablespace, name, size, pieces));
    }

    /// <summary>Every piece is appended by the time <see cref="IngestAsync"/> returns: there are no workers to wait for.</summary>
    public Task CompleteAsync() => Task.CompletedTask;

    /// <summary>Each archive with its pieces; the file list and checksums are PostgreSQL's own backup_manifest.</summary>
    public BackupContent Content(IReadOnlyList<StoredPack> stored, long sourceReportedBytes)
    {
        var list = new PackList(repository, packs.BackupId, stored, new Dictionary<string, StoredObject>());
        var archives = _archives.Select(a => new BackupArchive(a.Tablespace, a.Name, a.Size,
            a.Pieces.Select(p => new ChunkLocation(list.IndexOf(p.Piece.PackKey), p.Piece.Offset, p.Piece.StoredLength, p.Piece.PlainLength, p.Sha256)).ToList())).ToList();
        return new BackupContent([], archives, list.Packs, sourceReportedBytes);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
