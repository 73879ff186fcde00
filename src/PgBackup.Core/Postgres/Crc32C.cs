using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace PgBackup.Postgres;

/// <summary>
/// CRC-32C as PostgreSQL computes it (INIT_CRC32C / COMP_CRC32C / FIN_CRC32C: init and final XOR
/// 0xFFFFFFFF, the hardware crc32c instruction) — for WAL records and for backup manifests.
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

    /// <summary>The finished CRC, as PostgreSQL stores it in a WAL record's xl_crc.</summary>
    public readonly uint Value => _crc ^ 0xFFFFFFFF;

    /// <summary>The finished CRC as backup_manifest renders it: the 4 bytes in little-endian order, in hex.</summary>
    public readonly string ToManifestHex()
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Value);
        return Convert.ToHexStringLower(bytes);
    }
}
