using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace PgBackup.Restore;

/// <summary>
/// CRC-32C as PostgreSQL computes it for backup manifests (init and final XOR 0xFFFFFFFF, the
/// hardware crc32c instruction), rendered as its manifest does: the 4 bytes in little-endian order, in hex.
/// </summary>
internal struct Crc32C
{
    private uint _crc = 0xFFFFFFFF;

    public Crc32C()
    {
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        var crc = _crc;
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (var w in words) crc = BitOperations.Crc32C(crc, w);
        foreach (var b in data[(words.Length * sizeof(ulong))..]) crc = BitOperations.Crc32C(crc, b);
        _crc = crc;
    }

    public readonly string ToManifestHex()
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, _crc ^ 0xFFFFFFFF);
        return Convert.ToHexStringLower(bytes);
    }
}
