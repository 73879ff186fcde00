using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;

namespace PgBackup.Postgres.Replication.Internal;

/// <summary>
/// Builds frontend messages in one reused array: <see cref="StartMessage"/>, the fields, then
/// <see cref="EndMessage"/> patches the length. Callers serialize access (see the connector's write lock).
/// </summary>
internal sealed class WriteBuffer
{
    private byte[] _buffer = new byte[8 * 1024];
    private int _position;
    private int _messageStart = -1;

    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _position);

    public void Clear() => _position = 0;

    /// <summary>Starts a message; <paramref name="code"/> is null for the untyped startup packets.</summary>
    public void StartMessage(char? code)
    {
        Debug.Assert(_messageStart < 0, "previous message not ended");
        if (code is { } c)
            WriteByte((byte)c);
        _messageStart = _position;
        WriteInt32(0);
    }

    public void EndMessage()
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_messageStart), _position - _messageStart);
        _messageStart = -1;
    }

    public void WriteByte(byte value) => Reserve(1)[0] = value;

    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32BigEndian(Reserve(4), value);

    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64BigEndian(Reserve(8), value);

    public void WriteBytes(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Reserve(bytes.Length));

    /// <summary>A NUL-terminated UTF-8 string, as every string field of the protocol.</summary>
    public void WriteCString(string value)
    {
        var span = Reserve(Encoding.UTF8.GetByteCount(value) + 1);
        var n = Encoding.UTF8.GetBytes(value, span);
        span[n] = 0;
    }

    private Span<byte> Reserve(int count)
    {
        if (_buffer.Length - _position < count)
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _position + count));
        var span = _buffer.AsSpan(_position, count);
        _position += count;
        return span;
    }
}
