using Microsoft.Win32.SafeHandles;

using PgBackup.IO;

namespace PgBackup.Repository.Storage;

/// <summary>A read-only window of a file, for ranged reads of a local object; owns the handle.</summary>
internal sealed class FileRangeStream(SafeFileHandle handle, long offset, long length) : ForwardReadStream
{
    private long _position;

    public override long Length => length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(Span<byte> buffer)
    {
        var n = RandomAccess.Read(handle, buffer[..Remaining(buffer.Length)], offset + _position);
        _position += n;
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await RandomAccess.ReadAsync(handle, buffer[..Remaining(buffer.Length)], offset + _position, cancellationToken).ConfigureAwait(false);
        _position += n;
        return n;
    }

    private int Remaining(int requested) => (int)Math.Min(requested, length - _position);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            handle.Dispose();
        base.Dispose(disposing);
    }
}
