using System.Globalization;

namespace PgBackup.Postgres;

/// <summary>
/// A WAL location (XLogRecPtr): a byte position in the endless WAL stream, written "X/Y" in hex
/// (high and low 32 bits) exactly as PostgreSQL prints it.
/// </summary>
[System.Text.Json.Serialization.JsonConverter(typeof(LsnJsonConverter))]
public readonly record struct Lsn(ulong Value) : IComparable<Lsn>
{
    /// <summary>0/0, which PostgreSQL uses as "no location" (InvalidXLogRecPtr).</summary>
    public static readonly Lsn Invalid = new(0);

    public bool IsValid => Value != 0;

    public static Lsn Parse(string text) =>
        TryParse(text, out var lsn) ? lsn : throw new FormatException($"'{text}' is not an LSN (expected hex X/Y, e.g. 0/3000028)");

    public static bool TryParse(ReadOnlySpan<char> text, out Lsn lsn)
    {
        lsn = Invalid;
        var slash = text.IndexOf('/');
        if (slash is <= 0 or > 8 || text.Length - slash - 1 is <= 0 or > 8)
            return false;
        if (!uint.TryParse(text[..slash], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var high) ||
            !uint.TryParse(text[(slash + 1)..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var low))
            return false;
        lsn = new Lsn(((ulong)high << 32) | low);
        return true;
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{(uint)(Value >> 32):X}/{(uint)Value:X}");

    public int CompareTo(Lsn other) => Value.CompareTo(other.Value);

    public static Lsn operator +(Lsn lsn, ulong bytes) => new(checked(lsn.Value + bytes));

    public static Lsn operator -(Lsn lsn, ulong bytes) => new(checked(lsn.Value - bytes));

    /// <summary>How many bytes of WAL lie between <paramref name="earlier"/> and <paramref name="later"/>; negative if they are the other way round.</summary>
    public static long operator -(Lsn later, Lsn earlier) => checked((long)later.Value - (long)earlier.Value);

    public static bool operator <(Lsn left, Lsn right) => left.Value < right.Value;
    public static bool operator >(Lsn left, Lsn right) => left.Value > right.Value;
    public static bool operator <=(Lsn left, Lsn right) => left.Value <= right.Value;
    public static bool operator >=(Lsn left, Lsn right) => left.Value >= right.Value;

    public static Lsn Max(Lsn a, Lsn b) => a >= b ? a : b;
}
