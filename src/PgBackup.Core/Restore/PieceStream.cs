using PgBackup.Backup;
using PgBackup.Repository;

namespace PgBackup.Restore;

/// <summary>
/// Reads a server-compressed archive's pieces back as one stream, in order. Pieces a single
/// writer appended lie back to back in their pack, so each run of them is one ranged read.
/// </summary>
internal sealed class PieceStream(BackupRepository repository, BackupManifest backup, IReadOnlyList<ChunkLocation> pieces) : Stream
{
    private int _next;
    private Stream? _current;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (_current is null && !await OpenNextRunAsync(cancellationToken).ConfigureAwait(false)) return 0;
            var read = await _current!.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read > 0) return read;
            await _current.DisposeAsync().ConfigureAwait(false);
            _current = null;
        }
    }

    private async Task<bool> OpenNextRunAsync(CancellationToken ct)
    {
        if (_next >= pieces.Count) return false;
        var first = pieces[_next];
        var end = first.Offset + first.StoredLength;
        var last = _next;
        while (last + 1 < pieces.Count && pieces[last + 1].Pack == first.Pack && pieces[last + 1].Offset == end)
            end += pieces[++last].StoredLength;
        _next = last + 1;
        var key = BackupObjects.Absolute(repository, backup.Id, backup.Packs[first.Pack].Key);
        _current = await repository.Store.OpenReadAsync(key, first.Offset, end - first.Offset, ct).ConfigureAwait(false);
        return true;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _current?.Dispose();
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
