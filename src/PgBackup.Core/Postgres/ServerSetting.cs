using System.Globalization;

namespace PgBackup.Postgres;

/// <summary>Reads the text that SHOW prints for a setting.</summary>
public static class ServerSetting
{
    /// <summary>
    /// Bytes of a memory setting as SHOW prints it: "16MB", "1GB", "8kB", "512B" (PostgreSQL's
    /// units are powers of 1024), or a bare number of bytes.
    /// </summary>
    public static long ParseBytes(string text)
    {
        var span = text.AsSpan().Trim();
        var digits = 0;
        while (digits < span.Length && (char.IsAsciiDigit(span[digits]) || (digits == 0 && span[0] == '-')))
            digits++;
        var multiplier = span[digits..].Trim() switch
        {
            "" or "B" => 1L,
            "kB" => 1L << 10,
            "MB" => 1L << 20,
            "GB" => 1L << 30,
            "TB" => 1L << 40,
            _ => 0L,
        };
        if (multiplier == 0 || !long.TryParse(span[..digits], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
            throw new FormatException($"'{text}' is not a PostgreSQL memory size (e.g. 16MB)");
        return checked(number * multiplier);
    }
}
