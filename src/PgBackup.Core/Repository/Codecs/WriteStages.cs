namespace PgBackup.Repository.Codecs;

/// <summary>
/// Two write-only stages as one stream, the first writing into the second (compression into
/// encryption). Disposing ends the first stage before the second, so the first's tail (the end of
/// the zstd frame) reaches the second before it seals its final block.
/// </summary>
internal sealed class WriteStages(Stream first, Stream second) : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => first.Write(buffer, offset, count);
    public override void Write(ReadOnlySpan<byte> buffer) => first.Write(buffer);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        first.WriteAsync(buffer, offset, count, cancellationToken);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        first.WriteAsync(buffer, cancellationToken);

    public override void Flush() => first.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => first.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        try
        {
            await first.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            await second.DisposeAsync().ConfigureAwait(false);
        }
        GC.SuppressFinalize(this);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            try
            {
                first.Dispose();
            }
            finally
            {
                second.Dispose();
            }
        }
        base.Dispose(disposing);
    }
}
