using System.Globalization;

namespace PgBackup.Repository.Catalog;

/// <summary>
/// A backup's name: its start time in UTC, e.g. 20261127T021500Z, so ids sort by time. Two
/// backups started within the same second get a -2, -3 suffix.
/// </summary>
public static class BackupId
{
    private const string Format = "yyyyMMdd'T'HHmmss'Z'";

    public static string For(DateTimeOffset startUtc, IReadOnlySet<string> taken)
    {
        var id = startUtc.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);
        for (var n = 2; taken.Contains(id); n++)
            id = startUtc.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture) + "-" + n.ToString(CultureInfo.InvariantCulture);
        return id;
    }

    public static bool IsValid(string id) =>
        id.Length >= 16 && DateTime.TryParseExact(id[..16], Format, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out _)
        && (id.Length == 16 || (id[16] == '-' && int.TryParse(id.AsSpan(17), NumberStyles.None, CultureInfo.InvariantCulture, out _)));
}
