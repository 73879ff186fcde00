namespace PgBackup.Tests.Unit.Repository;

/// <summary>A fresh directory under /tmp, removed with everything in it.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("pgbackup-test-").FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>A source stream that delivers some zero bytes and then fails, like a dropped connection.</summary>
internal sealed class FailingStream(int goodBytes) : Stream
{
    private int _left = goodBytes;

    public override int Read(Span<byte> buffer)
    {
        if (_left == 0)
            throw new IOException("source failed on purpose");
        var n = Math.Min(_left, buffer.Length);
        buffer[..n].Clear();
        _left -= n;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));
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
