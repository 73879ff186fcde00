using Microsoft.Win32.SafeHandles;
using PgBackup.Errors;

namespace PgBackup.Wal;

/// <summary>
/// The bytes of one WAL segment as they stream in, spooled to an unlinked temporary file as
/// pg_receivewal spools to its directory: an archiver costs the page cache its WAL, not its
/// process memory. One `serve` hosts the archivers of many clusters, and a segment in memory
/// each (16 MiB, often mostly filled for hours on a quiet cluster) made ten archivers 377 MiB
/// resident. Only the header is also kept in memory, for the check. What is beyond the filled
/// part reads as zeros, as in the .partial file PostgreSQL leaves. The spool is no part of
/// durability: the repository is, and after a crash the archiver streams from its durable end.
/// </summary>
public sealed class WalSegmentBuffer : IDisposable
{
    private readonly SafeFileHandle _spool;
    private readonly byte[] _header = new byte[WalSegmentHeader.Length];

    /// <param name="directory">Where the spool file lives while it is open; the system's temporary directory ($TMPDIR) by default.</param>
    public WalSegmentBuffer(long segmentSize, string? directory = null)
    {
        Length = segmentSize;
        directory ??= Path.GetTempPath();
        var path = Path.Combine(directory, $"pgbackup-wal-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            _spool = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
            // Unlinked at once: the open handle keeps it, and a killed process leaves nothing behind.
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OperationFailedException($"cannot create the WAL spool file in {directory} ({e.Message}); set TMPDIR to a writable directory on disk");
        }
    }

    public long Length { get; }

    /// <summary>Bytes received, from the segment's start.</summary>
    public long Filled { get; private set; }

    public bool IsFull => Filled == Length;

    /// <summary>Appends up to the end of the segment; returns how many bytes it took.</summary>
    public int Append(ReadOnlySpan<byte> data)
    {
        var taken = (int)Math.Min(data.Length, Length - Filled);
        if (taken == 0) return 0;
        if (Filled < _header.Length)
            data[..Math.Min(taken, _header.Length - (int)Filled)].CopyTo(_header.AsSpan((int)Filled));
        RandomAccess.Write(_spool, data[..taken], Filled);
        Filled += taken;
        return taken;
    }

    /// <summary>The segment's first bytes, as far as they are filled (its long page header; at most <see cref="WalSegmentHeader.Length"/>).</summary>
    public ReadOnlySpan<byte> Start(int length) => _header.AsSpan(0, (int)Math.Min(Math.Min(length, Filled), _header.Length));

    /// <summary>
    /// A read-only, seekable stream of the whole segment, zero-padded past what is filled. It reads
    /// the spool itself: valid until the next append or <see cref="Reset"/>.
    /// </summary>
    public Stream OpenRead() => new Reader(this);

    /// <summary>Empties the buffer for the next segment, giving the spool's blocks back to the file system.</summary>
    public void Reset()
    {
        RandomAccess.SetLength(_spool, 0);
        Filled = 0;
    }

    public void Dispose() => _spool.Dispose();

    private int CopyTo(long position, Span<byte> destination)
    {
        var n = (int)Math.Min(destination.Length, Length - position);
        var filled = (int)Math.Clamp(Filled - position, 0, n);
        for (var done = 0; done < filled;)
        {
            var read = RandomAccess.Read(_spool, destination[done..filled], position + done);
            if (read == 0) throw new IOException($"the WAL spool file ended at {position + done} of the {Filled} bytes written to it");
            done += read;
        }
        destination[filled..n].Clear();
        return n;
    }

    private sealed class Reader(WalSegmentBuffer buffer) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => buffer.Length;

        public override long Position
        {
            get => _position;
            set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
        }

        public override int Read(byte[] destination, int offset, int count) => Read(destination.AsSpan(offset, count));

        public override int Read(Span<byte> destination)
        {
            if (_position >= buffer.Length) return 0;
            var n = buffer.CopyTo(_position, destination);
            _position += n;
            return n;
        }

        // The spool is in the page cache: reading it synchronously costs less than the hop to the thread pool.
        public override ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(destination.Span));

        public override Task<int> ReadAsync(byte[] destination, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(destination.AsSpan(offset, count)));

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => buffer.Length + offset,
        };

        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] source, int offset, int count) => throw new NotSupportedException();
    }
}
