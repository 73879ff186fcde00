using System.Security.Cryptography;
using PgBackup.IO;
using ZstdSharp;

namespace PgBackup.Repository.Codecs;

/// <summary>
/// Stored bytes in, plain bytes out — the reverse of <see cref="EncodingStream"/>: hashes the zstd
/// frames and the plain content on the way and, at the end, checks both against the object's
/// <see cref="ChecksumTrailer"/>.
/// A mismatch is an <see cref="InvalidDataException"/> from the read that reaches the end, so a
/// consumer that reads to the end never takes damaged content for good. Leaves the source open.
/// </summary>
internal sealed class DecodingStream : ForwardReadStream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly TailStream _tail;
    private readonly DecompressionStream _zstd;

    /// <param name="frames">The zstd frames (after decryption, if any); disposed with this stream.</param>
    internal DecodingStream(Stream frames, bool ownsFrames)
    {
        _tail = new TailStream(frames, ownsFrames);
        _zstd = new DecompressionStream(_tail, checkEndOfStream: true, leaveOpen: false);
    }

    /// <summary>Whether the trailer was there and matched; null until the stream was read to its end.</summary>
    public TrailerState? Trailer { get; private set; }

    public long PlainLength { get; private set; }

    /// <summary>Lower-case hex SHA-256 of the plain bytes read so far (all of them once <see cref="Trailer"/> is set).</summary>
    public string PlainSha256 => Convert.ToHexStringLower(_hash.GetCurrentHash());

    public override int Read(Span<byte> buffer) => Took(buffer, _zstd.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await _zstd.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Took(buffer.Span, n);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _zstd.Dispose();
            _hash.Dispose();
        }
        base.Dispose(disposing);
    }

    private int Took(Span<byte> buffer, int n)
    {
        if (n > 0)
        {
            _hash.AppendData(buffer[..n]);
            PlainLength += n;
        }
        else if (!buffer.IsEmpty && Trailer is null)
        {
            Trailer = Check();
        }
        return n;
    }

    private TrailerState Check()
    {
        if (ChecksumTrailer.Read(_tail.Tail) is not { } recorded)
            return TrailerState.Absent;
        var frames = _tail.FramesSha256;
        if (!frames.AsSpan().SequenceEqual(recorded.Frames))
            throw new InvalidDataException($"its zstd frames have SHA-256 {Convert.ToHexStringLower(frames)}, its checksum trailer records {Convert.ToHexStringLower(recorded.Frames)}");
        var plain = _hash.GetCurrentHash();
        return plain.AsSpan().SequenceEqual(recorded.Plain)
            ? TrailerState.Verified
            : throw new InvalidDataException($"content has SHA-256 {Convert.ToHexStringLower(plain)}, its checksum trailer records {Convert.ToHexStringLower(recorded.Plain)}");
    }

    /// <summary>
    /// Passes the stored bytes through, keeps the last <see cref="ChecksumTrailer.Length"/> of them
    /// (where a trailer would be) and hashes everything before those.
    /// </summary>
    private sealed class TailStream(Stream inner, bool ownsInner) : ForwardReadStream
    {
        private readonly byte[] _tail = new byte[ChecksumTrailer.Length];
        private readonly IncrementalHash _frames = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private int _filled;

        public ReadOnlySpan<byte> Tail => _tail.AsSpan(0, _filled);

        /// <summary>SHA-256 of every byte read except the <see cref="Tail"/>.</summary>
        public byte[] FramesSha256 => _frames.GetCurrentHash();

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            Keep(buffer[..n]);
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            Keep(buffer.Span[..n]);
            return n;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                if (ownsInner) inner.Dispose();
                _frames.Dispose();
            }
            base.Dispose(disposing);
        }

        /// <summary>Appends <paramref name="read"/> to the tail; what leaves the tail at its front is hashed.</summary>
        private void Keep(ReadOnlySpan<byte> read)
        {
            if (read.Length >= _tail.Length)
            {
                _frames.AppendData(_tail, 0, _filled);
                _frames.AppendData(read[..^_tail.Length]);
                read[^_tail.Length..].CopyTo(_tail);
                _filled = _tail.Length;
                return;
            }
            var leaving = Math.Max(0, _filled + read.Length - _tail.Length);
            _frames.AppendData(_tail, 0, leaving);
            _tail.AsSpan(leaving, _filled - leaving).CopyTo(_tail);
            _filled -= leaving;
            read.CopyTo(_tail.AsSpan(_filled));
            _filled += read.Length;
        }
    }
}
