using System.Security.Cryptography;

using PgBackup.IO;

namespace PgBackup.Repository.Codecs;

/// <summary>
/// A read-only stage that reads <see cref="SealedBlocks"/> from a source and yields their plain
/// bytes, one authenticated block at a time: no byte of a block is returned before its tag is
/// checked, so a wrong key or a modified object is a <see cref="DecryptionFailedException"/>,
/// never wrong output. Does not own the source.
/// </summary>
internal sealed class DecryptingStream(Stream source, EncryptionKey key) : ForwardReadStream
{
    private const int SealedBlockLength = SealedBlocks.BlockSize + SealedBlocks.TagLength;

    private readonly byte[] _salt = new byte[SealedBlocks.SaltLength];
    // One byte beyond a full block: whether it arrives is what tells a full block from the final one.
    private readonly byte[] _sealed = new byte[SealedBlockLength + 1];
    private readonly byte[] _plain = new byte[SealedBlocks.BlockSize];
    private AesGcm? _cipher;
    private int _carried;
    private int _plainStart;
    private int _plainEnd;
    private long _index;
    private bool _done;

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0;
        if (_plainStart == _plainEnd && !_done)
        {
            if (_cipher is null)
                Start(source.ReadAtLeast(_salt, _salt.Length, throwOnEndOfStream: false));
            OpenBlock(source.ReadAtLeast(_sealed.AsSpan(_carried), _sealed.Length - _carried, throwOnEndOfStream: false));
        }
        return Give(buffer);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty) return 0;
        if (_plainStart == _plainEnd && !_done)
        {
            if (_cipher is null)
                Start(await source.ReadAtLeastAsync(_salt, _salt.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false));
            OpenBlock(await source.ReadAtLeastAsync(_sealed.AsMemory(_carried), _sealed.Length - _carried, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false));
        }
        return Give(buffer.Span);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _cipher?.Dispose();
        base.Dispose(disposing);
    }

    private void Start(int saltRead)
    {
        if (saltRead < _salt.Length)
            throw new DecryptionFailedException();
        _cipher = key.CipherFor(_salt);
    }

    /// <param name="read">Bytes read after the carried one; the source ended if the buffer is not full.</param>
    private void OpenBlock(int read)
    {
        var available = _carried + read;
        var final = available < _sealed.Length;
        var length = final ? available : SealedBlockLength;
        SealedBlocks.Open(_cipher!, _index++, final, _sealed.AsSpan(0, length), _plain);
        _plainStart = 0;
        _plainEnd = length - SealedBlocks.TagLength;
        _done = final;
        if (!final)
        {
            _sealed[0] = _sealed[SealedBlockLength];
            _carried = 1;
        }
    }

    private int Give(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, _plainEnd - _plainStart);
        _plain.AsSpan(_plainStart, n).CopyTo(buffer);
        _plainStart += n;
        return n;
    }
}
