using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace PgBackup.Postgres.Replication.Internal;

/// <summary>
/// A small result set of a replication command (IDENTIFY_SYSTEM, SHOW, slot commands...):
/// column names and types from RowDescription, raw text-format values from DataRows.
/// These are a handful of rows per command, so plain arrays are fine here.
/// </summary>
internal sealed class ResultSet
{
    public const uint ByteaOid = 17;

    private readonly List<byte[]?[]> _rows = [];

    private ResultSet(string[] names, uint[] typeOids)
    {
        ColumnNames = names;
        ColumnTypes = typeOids;
    }

    public string[] ColumnNames { get; }
    public uint[] ColumnTypes { get; }
    public IReadOnlyList<byte[]?[]> Rows => _rows;

    public static ResultSet FromRowDescription(ReadOnlySpan<byte> payload)
    {
        var count = BinaryPrimitives.ReadInt16BigEndian(payload);
        payload = payload[2..];
        var names = new string[count];
        var types = new uint[count];
        for (var i = 0; i < count; i++)
        {
            var nul = payload.IndexOf((byte)0);
            names[i] = Encoding.UTF8.GetString(payload[..nul]);
            // name, table oid (4), column number (2), type oid (4), type size (2), modifier (4), format (2)
            types[i] = BinaryPrimitives.ReadUInt32BigEndian(payload[(nul + 7)..]);
            payload = payload[(nul + 19)..];
        }
        return new ResultSet(names, types);
    }

    public void AddDataRow(ReadOnlySpan<byte> payload)
    {
        var count = BinaryPrimitives.ReadInt16BigEndian(payload);
        payload = payload[2..];
        var row = new byte[]?[count];
        for (var i = 0; i < count; i++)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(payload);
            payload = payload[4..];
            if (length < 0)
                continue; // SQL NULL
            row[i] = payload[..length].ToArray();
            payload = payload[length..];
        }
        _rows.Add(row);
    }

    public int Column(string name)
    {
        var index = Array.IndexOf(ColumnNames, name);
        return index >= 0 ? index : throw new ProtocolViolationException($"result has no column \"{name}\" (has {string.Join(", ", ColumnNames)})");
    }

    public byte[]?[] SingleRow(string command) => _rows.Count == 1
        ? _rows[0]
        : throw new ProtocolViolationException($"{command} returned {_rows.Count} rows, expected 1");

    public string? Text(byte[]?[] row, string column) => row[Column(column)] is { } v ? Encoding.UTF8.GetString(v) : null;

    public string RequiredText(byte[]?[] row, string column) =>
        Text(row, column) ?? throw new ProtocolViolationException($"column \"{column}\" is unexpectedly NULL");

    public long? Int64(byte[]?[] row, string column) =>
        Text(row, column) is { } t ? long.Parse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : null;

    public Lsn? Lsn(byte[]?[] row, string column) =>
        Text(row, column) is { } t ? Postgres.Lsn.Parse(t) : null;

    /// <summary>A column's bytes exactly as the server sent them, whatever type it declared.</summary>
    public byte[]? RawBytes(byte[]?[] row, string column) => row[Column(column)];

    /// <summary>
    /// The bytes of a column. A bytea column in text format arrives hex-escaped ("\x..."); a text
    /// column (TIMELINE_HISTORY's content on PG 15) arrives as the raw bytes.
    /// </summary>
    public byte[]? Bytes(byte[]?[] row, string column)
    {
        var index = Column(column);
        var value = row[index];
        if (value is null || ColumnTypes[index] != ByteaOid)
            return value;
        var text = Encoding.ASCII.GetString(value);
        return text.StartsWith("\\x", StringComparison.Ordinal)
            ? Convert.FromHexString(text.AsSpan(2))
            : throw new ProtocolViolationException("bytea value is not in hex format");
    }
}
