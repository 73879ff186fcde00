namespace PgBackup.Postgres;

/// <summary>
/// The server's wal_segment_size (fixed at initdb): a power of two between 1 MiB and 1 GiB.
/// Every segment name depends on it, so it travels with every <see cref="WalSegmentName"/>.
/// </summary>
public static class WalSegmentSize
{
    public const long Default = 16 * 1024 * 1024;
    public const long Minimum = 1024 * 1024;
    public const long Maximum = 1024 * 1024 * 1024;

    public static bool IsValid(long bytes) => bytes is >= Minimum and <= Maximum && long.IsPow2(bytes);

    public static long Validate(long bytes) => IsValid(bytes)
        ? bytes
        : throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "wal_segment_size must be a power of 2 between 1 MiB and 1 GiB");

    /// <summary>Segments per 4 GiB "xlogid": the split between the middle and last 8 hex digits of a name.</summary>
    internal static ulong SegmentsPerXLogId(long bytes) => 0x1_0000_0000UL / (ulong)bytes;
}
