using System.Security.Cryptography;
using PgBackup.IO;

namespace PgBackup.Repository.Codecs;

/// <summary>
/// A write-only stage that seals what is written into <see cref="SealedBlocks"/> of
/// <see cref="SealedBlocks.BlockSize"/> plain bytes and writes them to the sink. A block is sealed
/// only once the next byte arrives or the stream is disposed, because the last block must carry
/// the final flag. Disposing writes that last block; the sink stays open.
/// </summary>
internal sealed class EncryptingStream : ForwardWriteStream
{
    private const int Salt = SealedBlocks.SaltLength;

    private readonly Stream _sink;
    private readonly AesGcm _cipher;
    private readonly byte[] _plain = new byte[SealedBlocks.BlockSize];
    // The salt goes out in front of the first block; later blocks use the buffer from offset Salt.
    private readonly byte[] _sealed = new byte[Salt + SealedBlocks.BlockSize + SealedBlocks.TagLength];
    private int _filled;
    private long _index;
    private bool _finished;

    public EncryptingStream(Stream sink, EncryptionKey key)
    {
        _sink = sink;
        _cipher = SealedBlocks.NewUnit(key, _sealed.AsSpan(0, Salt));
    }

    public override bool CanWrite => !_finished;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            if (_filled == _plain.Length)
                _sink.Write(SealBlock(final: false).Span);
            buffer = buffer[Take(buffer)..];
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            if (_filled == _plain.Length)
                await _sink.WriteAsync(SealBlock(final: false), cancellationToken).ConfigureAwait(false);
            buffer = buffer[Take(buffer.Span)..];
        }
    }

    // A partial block cannot be sealed early (it would not be final), so flushing only reaches the sink.
    public override void Flush() => _sink.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => _sink.FlushAsync(cancellationToken);

    public override async ValueTask DisposeAsync()
    {
        try
        {
            if (!_finished)
                await _sink.WriteAsync(SealBlock(final: true)).ConfigureAwait(false);
        }
        finally
        {
            Dispose();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            if (!_finished)
                _sink.Write(SealBlock(final: true).Span);
            _cipher.Dispose();
        }
        base.Dispose(disposing);
    }

    private int Take(ReadOnlySpan<byte> buffer)
    {
        var n = Math.Min(buffer.Length, _plain.Length - _filled);
        buffer[..n].CopyTo(_plain.AsSpan(_filled));
        _filled += n;
        return n;
    }

    /// <summary>Seals the buffered plain bytes as the next block; returns what to write (the first block with the salt before it).</summary>
    private ReadOnlyMemory<byte> SealBlock(bool final)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        SealedBlocks.Seal(_cipher, _index, final, _plain.AsSpan(0, _filled), _sealed.AsSpan(Salt));
        var start = _index == 0 ? 0 : Salt;
        var end = Salt + _filled + SealedBlocks.TagLength;
        _index++;
        _filled = 0;
        _finished = final;
        return _sealed.AsMemory(start, end - start);
    }
}
