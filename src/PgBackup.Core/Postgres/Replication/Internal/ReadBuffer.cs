using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace PgBackup.Postgres.Replication.Internal;

/// <summary>
/// Buffered reads of backend messages from the socket (or TLS) stream. Small messages are
/// returned as slices of one reused buffer, valid until the next read; large payloads can be
/// copied straight into the caller's memory with <see cref="ReadPayloadChunkAsync"/>.
/// Any transport failure surfaces as <see cref="ConnectionLostException"/>.
/// </summary>
internal sealed class ReadBuffer(Stream stream, int initialSize = 64 * 1024)
{
    /// <summary>Above this a message is surely garbage (the largest real ones are 1 GB DataRows).</summary>
    private const int MaxMessageLength = 1 << 30;

    private byte[] _buffer = new byte[initialSize];
    private int _start;
    private int _end;

    internal Stream Stream { get; set; } = stream;

    private int Buffered => _end - _start;

    /// <summary>Reads a message's type byte and length; returns the payload length (without the length field).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<BackendMessageHeader> ReadHeaderAsync(CancellationToken ct)
    {
        await EnsureAsync(5, ct).ConfigureAwait(false);
        var code = (char)_buffer[_start];
        var length = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start + 1, 4));
        _start += 5;
        if (length is < 4 or > MaxMessageLength)
            throw new ProtocolViolationException($"backend message '{code}' has an impossible length {length}");
        return new BackendMessageHeader(code, length - 4);
    }

    /// <summary>Reads a whole payload into the buffer; the memory is valid until the next read.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReadOnlyMemory<byte>> ReadPayloadAsync(int length, CancellationToken ct)
    {
        await EnsureAsync(length, ct).ConfigureAwait(false);
        var payload = new ReadOnlyMemory<byte>(_buffer, _start, length);
        _start += length;
        return payload;
    }

    /// <summary>
    /// Copies up to <paramref name="destination"/>.Length payload bytes (the caller never asks for more
    /// than what remains of the current message): first what is buffered, then straight from the
    /// stream into the destination, so big reads skip our buffer entirely.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReadPayloadChunkAsync(Memory<byte> destination, CancellationToken ct)
    {
        if (destination.IsEmpty)
            return 0;
        if (Buffered > 0)
        {
            var n = Math.Min(Buffered, destination.Length);
            _buffer.AsMemory(_start, n).CopyTo(destination);
            _start += n;
            return n;
        }
        if (destination.Length < _buffer.Length / 4)
        {
            // Small reads go through the buffer so the next header comes along for free.
            await EnsureAsync(1, ct).ConfigureAwait(false);
            return await ReadPayloadChunkAsync(destination, ct).ConfigureAwait(false);
        }
        var read = await ReadTransportAsync(destination, ct).ConfigureAwait(false);
        return read;
    }

    public async ValueTask SkipAsync(int length, CancellationToken ct)
    {
        while (length > 0)
        {
            await EnsureAsync(1, ct).ConfigureAwait(false);
            var n = Math.Min(Buffered, length);
            _start += n;
            length -= n;
        }
    }

    /// <summary>Reads exactly one byte outside message framing (the answer to SSLRequest).</summary>
    public async ValueTask<byte> ReadByteAsync(CancellationToken ct)
    {
        await EnsureAsync(1, ct).ConfigureAwait(false);
        return _buffer[_start++];
    }

    /// <summary>True if bytes the server sent are already buffered (must be false before switching to TLS).</summary>
    public bool HasBufferedData => Buffered > 0;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask EnsureAsync(int count, CancellationToken ct)
    {
        if (Buffered >= count)
            return;
        if (_buffer.Length - _start < count)
        {
            if (_buffer.Length < count)
            {
                // A message larger than the buffer (e.g. a 128 KiB XLogData): grow once and keep it.
                var bigger = new byte[Math.Max(count, _buffer.Length * 2)];
                Buffer.BlockCopy(_buffer, _start, bigger, 0, Buffered);
                _buffer = bigger;
            }
            else
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, Buffered);
            }
            _end = Buffered;
            _start = 0;
        }
        while (Buffered < count)
        {
            var read = await ReadTransportAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
            _end += read;
        }
        Debug.Assert(Buffered >= count);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadTransportAsync(Memory<byte> destination, CancellationToken ct)
    {
        int read;
        try
        {
            read = await Stream.ReadAsync(destination, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            throw new ConnectionLostException(e.Message, e);
        }
        if (read == 0)
            throw new ConnectionLostException("the server closed the connection", null);
        return read;
    }
}

internal readonly record struct BackendMessageHeader(char Code, int PayloadLength);

/// <summary>The transport failed or closed; the connector turns it into a one-line PgBackupException.</summary>
internal sealed class ConnectionLostException(string message, Exception? inner) : Exception(message, inner);

/// <summary>The server sent bytes that do not follow protocol v3.</summary>
internal sealed class ProtocolViolationException(string message) : Exception(message);
