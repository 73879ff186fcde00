using System.Security.Cryptography;
using PgBackup.IO;

namespace PgBackup.Repository.Codecs;

/// <summary>
/// Plain bytes in, stored bytes out: a zstd frame, then the <see cref="ChecksumTrailer"/> with the
/// SHA-256 of everything written and of the frame, then — when the repository has a key — encryption around both.
/// Disposing ends the frame, appends the trailer and only then seals the final encrypted block,
/// in that order; the sink is left open.
/// </summary>
internal sealed class EncodingStream : ForwardWriteStream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly Stream _compressor;
    private readonly HashingStream _framesHash;
    private readonly Stream _frames;
    private readonly Stream? _encryption;
    private bool _ended;
    private string? _plainSha256;

    /// <param name="compressor">Makes the zstd compressor that writes into the stream it is given.</param>
    /// <param name="frames">Where zstd frames go: the sink itself, or <paramref name="encryption"/>.</param>
    /// <param name="encryption">The encryption stage to end last; null for an unencrypted repository.</param>
    internal EncodingStream(Func<Stream, Stream> compressor, Stream frames, Stream? encryption)
    {
        _framesHash = new HashingStream(frames);
        _compressor = compressor(_framesHash);
        _frames = frames;
        _encryption = encryption;
    }

    /// <summary>Lower-case hex SHA-256 of the plain bytes written, known once the stream is disposed.</summary>
    public string PlainSha256 => _plainSha256 ?? throw new InvalidOperationException("the object is not complete until the stream is disposed");

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash.AppendData(buffer);
        _compressor.Write(buffer);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _hash.AppendData(buffer.Span);
        return _compressor.WriteAsync(buffer, cancellationToken);
    }

    public override void Flush() => _compressor.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => _compressor.FlushAsync(cancellationToken);

    public override async ValueTask DisposeAsync()
    {
        if (!_ended)
        {
            _ended = true;
            try
            {
                await _compressor.DisposeAsync().ConfigureAwait(false);
                await _frames.WriteAsync(Trailer()).ConfigureAwait(false);
            }
            finally
            {
                if (_encryption is not null) await _encryption.DisposeAsync().ConfigureAwait(false);
                _hash.Dispose();
                await _framesHash.DisposeAsync().ConfigureAwait(false);
            }
        }
        GC.SuppressFinalize(this);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_ended)
        {
            _ended = true;
            try
            {
                _compressor.Dispose();
                _frames.Write(Trailer());
            }
            finally
            {
                _encryption?.Dispose();
                _hash.Dispose();
                _framesHash.Dispose();
            }
        }
        base.Dispose(disposing);
    }

    private byte[] Trailer()
    {
        var sha256 = _hash.GetCurrentHash();
        _plainSha256 = Convert.ToHexStringLower(sha256);
        return ChecksumTrailer.Create(sha256, Convert.FromHexString(_framesHash.Sha256));
    }
}
