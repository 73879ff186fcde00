using System.Globalization;

namespace PgBackup.Policies;

/// <summary>Parses sizes the way operators write them in configs: 16MB, 1GiB, 512kB, 1048576.</summary>
public static class ByteSize
{
    private static readonly (string Suffix, long Factor)[] Units =
    [
        ("KIB", 1L << 10), ("MIB", 1L << 20), ("GIB", 1L << 30), ("TIB", 1L << 40),
        ("KB", 1L << 10), ("MB", 1L << 20), ("GB", 1L << 30), ("TB", 1L << 40),
        ("K", 1L << 10), ("M", 1L << 20), ("G", 1L << 30), ("T", 1L << 40), ("B", 1),
    ];

    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var s = text.Trim().ToUpperInvariant();
        long factor = 1;
        foreach (var (suffix, f) in Units)
        {
            if (s.EndsWith(suffix, StringComparison.Ordinal))
            {
                factor = f;
                s = s[..^suffix.Length].TrimEnd();
                break;
            }
        }
        if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return false;
        try { bytes = checked(n * factor); } catch (OverflowException) { return false; }
        return true;
    }

    public static string Format(long bytes)
    {
        string[] names = ["B", "KiB", "MiB", "GiB", "TiB"];
        double v = bytes;
        var i = 0;
        while (Math.Abs(v) >= 1024 && i < names.Length - 1) { v /= 1024; i++; }
        return i == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{v:0.0} {names[i]}");
    }
}
