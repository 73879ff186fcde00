using System.Security.Cryptography;
using PgBackup.Errors;
using PgBackup.Repository;
using PgBackup.Repository.Codecs;

using PgBackup.IO;
using PgBackup.Repository.Catalog;

namespace PgBackup.Repository.Packs;

/// <summary>
/// Reads a server-compressed archive's pieces back as one stream, in order, checking each piece's
/// SHA-256 before handing out its bytes (the source's zstd stream has no checksum of its own, so a
/// flipped byte is caught here, naming the pack and offset). Pieces a single writer appended lie
/// back to back in their pack, so each run of them is one ranged read. In an encrypted repository
/// each piece is then opened (authenticated and decrypted) before any of its bytes is handed out.
/// </summary>
internal sealed class PieceStream(BackupRepository repository, BackupManifest backup, IReadOnlyList<ChunkLocation> pieces) : ForwardReadStream
{
    private int _next;
    private int _runEnd;
    private Stream? _run;
    private byte[] _stored = [];
    private byte[] _opened = [];
    private byte[] _piece = [];
    private int _pieceLength;
    private int _pieceRead;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_pieceRead == _pieceLength && !await LoadNextPieceAsync(cancellationToken).ConfigureAwait(false)) return 0;
        var n = Math.Min(buffer.Length, _pieceLength - _pieceRead);
        _piece.AsMemory(_pieceRead, n).CopyTo(buffer);
        _pieceRead += n;
        return n;
    }

    private async Task<bool> LoadNextPieceAsync(CancellationToken ct)
    {
        if (_next >= pieces.Count) return false;
        if (_run is null || _next >= _runEnd) await OpenRunAsync(ct).ConfigureAwait(false);
        var piece = pieces[_next++];
        if (_stored.Length < piece.StoredLength) _stored = new byte[piece.StoredLength];
        var key = backup.Packs[piece.Pack].Key;
        try
        {
            await _run!.ReadExactlyAsync(_stored.AsMemory(0, piece.StoredLength), ct).ConfigureAwait(false);
        }
        catch (EndOfStreamException e)
        {
            throw new RepositoryException($"pack '{key}' of backup {backup.Id} ends before the piece at offset {piece.Offset}: the pack is truncated; run `pgbackup verify {backup.Id}`", e);
        }
        if (piece.Sha256 is { } expected && Convert.ToHexStringLower(SHA256.HashData(_stored.AsSpan(0, piece.StoredLength))) != expected)
            throw new RepositoryException($"pack '{key}' of backup {backup.Id} is damaged at offset {piece.Offset} (SHA-256 mismatch): this backup cannot be restored; run `pgbackup verify {backup.Id}` and take a new backup");
        if (repository.Codec.IsEncrypted)
        {
            _pieceLength = Open(piece, key);
            _piece = _opened;
        }
        else
        {
            _pieceLength = piece.StoredLength;
            _piece = _stored;
        }
        _pieceRead = 0;
        return true;
    }

    private int Open(ChunkLocation piece, string key)
    {
        if (_opened.Length < piece.StoredLength) _opened = new byte[piece.StoredLength];
        try
        {
            return repository.Codec.OpenPiece(_stored.AsSpan(0, piece.StoredLength), _opened);
        }
        catch (DecryptionFailedException e)
        {
            throw e.For($"the piece at offset {piece.Offset} of pack '{key}' of backup {backup.Id}");
        }
    }

    private async Task OpenRunAsync(CancellationToken ct)
    {
        if (_run is not null) await _run.DisposeAsync().ConfigureAwait(false);
        var first = pieces[_next];
        var end = first.Offset + first.StoredLength;
        var last = _next;
        while (last + 1 < pieces.Count && pieces[last + 1].Pack == first.Pack && pieces[last + 1].Offset == end)
            end += pieces[++last].StoredLength;
        _runEnd = last + 1;
        var key = BackupObjects.PackKey(repository, backup, backup.Packs[first.Pack]);
        _run = await repository.Store.OpenReadAsync(key, first.Offset, end - first.Offset, ct).ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _run?.Dispose();
        base.Dispose(disposing);
    }
}
