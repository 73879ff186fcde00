namespace PgBackup.Postgres.Replication;

/// <summary>
/// The read-only view of one archive's bytes. Reads go straight from the socket into the caller's
/// buffer. The synchronous Read blocks on the async path (sockets are async underneath); prefer
/// ReadAsync, e.g. TarReader.GetNextEntryAsync.
/// </summary>
internal sealed class BaseBackupContentStream(BaseBackupStream backup, int archiveNumber) : Stream
{
    private bool _ended;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_ended)
            return 0;
        var read = await backup.ReadContentAsync(archiveNumber, buffer, cancellationToken).ConfigureAwait(false);
        _ended = read == 0 && !buffer.IsEmpty;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
