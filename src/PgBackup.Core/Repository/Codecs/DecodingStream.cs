using System.Security.Cryptography;
using PgBackup.IO;
using ZstdSharp;

namespace PgBackup.Repository.Codecs;

/// <summary>
/// Stored bytes in, plain bytes out — the reverse of <see cref="EncodingStream"/>: hashes the plain
/// content on the way and, at its end, checks it against the object's <see cref="ChecksumTrailer"/>.
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
        var actual = _hash.GetCurrentHash();
        return actual.AsSpan().SequenceEqual(recorded)
            ? TrailerState.Verified
            : throw new InvalidDataException($"content has SHA-256 {Convert.ToHexStringLower(actual)}, its checksum trailer records {Convert.ToHexStringLower(recorded)}");
    }

    /// <summary>Passes the stored bytes through and keeps the last <see cref="ChecksumTrailer.Length"/> of them.</summary>
    private sealed class TailStream(Stream inner, bool ownsInner) : ForwardReadStream
    {
        private readonly byte[] _tail = new byte[ChecksumTrailer.Length];
        private int _filled;

        public ReadOnlySpan<byte> Tail => _tail.AsSpan(0, _filled);

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
            if (disposing && ownsInner) inner.Dispose();
            base.Dispose(disposing);
        }

        private void Keep(ReadOnlySpan<byte> read)
        {
            if (read.Length >= _tail.Length)
            {
                read[^_tail.Length..].CopyTo(_tail);
                _filled = _tail.Length;
                return;
            }
            var kept = Math.Min(_filled, _tail.Length - read.Length);
            _tail.AsSpan(_filled - kept, kept).CopyTo(_tail);
            read.CopyTo(_tail.AsSpan(kept));
            _filled = kept + read.Length;
        }
    }
}
