using System.Buffers;

namespace PgBackup.Wal;

/// <summary>
/// The bytes of one WAL segment as they stream in, held in pooled chunks taken only as they fill:
/// an archiver costs the WAL its segment holds so far, not a whole segment. One `serve` hosts the
/// archivers of hundreds of clusters, most of them idle, and a 16 MiB array each (cleared, so
/// resident, after every segment) measured 23 MiB per archiver; what is beyond the filled part
/// reads as zeros, as in the .partial file PostgreSQL leaves.
/// </summary>
public sealed class WalSegmentBuffer : IDisposable
{
    /// <summary>A segment is 64 chunks at the default 16 MiB, and its header sits in the first.</summary>
    internal const int ChunkSize = 256 * 1024;

    private readonly byte[]?[] _chunks;

    public WalSegmentBuffer(long segmentSize)
    {
        Length = segmentSize;
        _chunks = new byte[]?[(segmentSize + ChunkSize - 1) / ChunkSize];
    }

    public long Length { get; }

    /// <summary>Bytes received, from the segment's start.</summary>
    public long Filled { get; private set; }

    public bool IsFull => Filled == Length;

    /// <summary>Appends up to the end of the segment; returns how many bytes it took.</summary>
    public int Append(ReadOnlySpan<byte> data)
    {
        var taken = (int)Math.Min(data.Length, Length - Filled);
        for (var done = 0; done < taken;)
        {
            var chunk = (int)(Filled / ChunkSize);
            var offset = (int)(Filled % ChunkSize);
            var n = Math.Min(taken - done, ChunkSize - offset);
            data.Slice(done, n).CopyTo((_chunks[chunk] ??= ArrayPool<byte>.Shared.Rent(ChunkSize)).AsSpan(offset));
            done += n;
            Filled += n;
        }
        return taken;
    }

    /// <summary>The first bytes of the segment, as far as they are filled (its long page header).</summary>
    public ReadOnlySpan<byte> Start(int length) =>
        _chunks[0] is { } first ? first.AsSpan(0, (int)Math.Min(Math.Min(length, Filled), ChunkSize)) : [];

    /// <summary>
    /// A read-only, seekable stream of the whole segment, zero-padded past what is filled. It reads
    /// the buffer itself: valid until the next append or <see cref="Reset"/>.
    /// </summary>
    public Stream OpenRead() => new Reader(this);

    /// <summary>Empties the buffer for the next segment and gives its chunks back to the pool.</summary>
    public void Reset()
    {
        for (var i = 0; i < _chunks.Length; i++)
        {
            if (_chunks[i] is { } chunk) ArrayPool<byte>.Shared.Return(chunk);
            _chunks[i] = null;
        }
        Filled = 0;
    }

    public void Dispose() => Reset();

    private int CopyTo(long position, Span<byte> destination)
    {
        var n = (int)Math.Min(destination.Length, Length - position);
        for (var done = 0; done < n;)
        {
            var at = position + done;
            var chunk = (int)(at / ChunkSize);
            var offset = (int)(at % ChunkSize);
            var count = Math.Min(n - done, ChunkSize - offset);
            var filledHere = (int)Math.Clamp(Filled - at, 0, count);
            if (filledHere > 0) _chunks[chunk]!.AsSpan(offset, filledHere).CopyTo(destination[done..]);
            destination.Slice(done + filledHere, count - filledHere).Clear();
            done += count;
        }
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
