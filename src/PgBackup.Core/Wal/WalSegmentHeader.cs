using PgBackup.Postgres;

namespace PgBackup.Wal;

/// <summary>
/// The long page header at the start of every WAL segment (XLogLongPageHeaderData, PostgreSQL
/// 9.x-17, little-endian on the platforms we run on). It says which system wrote the segment,
/// where in the WAL stream it belongs, and the segment size, so a segment can be checked against
/// its name and the repository before it is archived.
/// </summary>
public readonly record struct WalSegmentHeader(Lsn PageAddress, ulong SystemIdentifier, uint SegmentSize)
{
    /// <summary>Bytes needed to read the header.</summary>
    public const int Length = WalPageHeader.LongLength;

    /// <summary>The header at the start of <paramref name="segment"/>, or null if these bytes do not start a WAL segment.</summary>
    public static WalSegmentHeader? TryRead(ReadOnlySpan<byte> segment) =>
        WalPageHeader.TryRead(segment) is { IsLong: true } page && WalSegmentSize.IsValid(page.SegmentSize)
            ? new WalSegmentHeader(page.PageAddress, page.SystemIdentifier, page.SegmentSize)
            : null;

    /// <summary>Why <paramref name="segment"/>'s content does not belong under <paramref name="name"/>, or null when it does.</summary>
    /// <param name="systemIdentifier">The repository's system identifier, when known.</param>
    public static string? Mismatch(ReadOnlySpan<byte> segment, WalSegmentName name, string? systemIdentifier)
    {
        if (TryRead(segment) is not { } h)
            return $"{name} does not start with a WAL segment header";
        if (h.SegmentSize != name.SegmentSize)
            return $"{name} holds {h.SegmentSize}-byte segments, expected {name.SegmentSize}";
        if (h.PageAddress != name.StartLsn)
            return $"{name} starts with the page of WAL position {h.PageAddress}, but its name says {name.StartLsn}: the file was renamed or is corrupt";
        if (systemIdentifier is not null && h.SystemIdentifier.ToString(System.Globalization.CultureInfo.InvariantCulture) != systemIdentifier)
            return $"{name} was written by database system {h.SystemIdentifier}, but the repository belongs to system {systemIdentifier}";
        return null;
    }
}
