using System.Globalization;

namespace PgBackup.Postgres;

/// <summary>
/// One WAL segment file: timeline + segment number, named as 24 hex digits
/// (TLI, then segment number split at 4 GiB boundaries), e.g. 000000010000000000000003.
/// </summary>
public readonly record struct WalSegmentName
{
    public const int FileNameLength = 24;

    public WalSegmentName(uint timeline, ulong segmentNumber, long segmentSize = WalSegmentSize.Default)
    {
        if (timeline == 0)
            throw new ArgumentOutOfRangeException(nameof(timeline), "timeline 0 does not exist; timelines start at 1");
        Timeline = timeline;
        SegmentNumber = segmentNumber;
        SegmentSize = WalSegmentSize.Validate(segmentSize);
    }

    public uint Timeline { get; }
    public ulong SegmentNumber { get; }
    public long SegmentSize { get; }

    /// <summary>
    /// The segment holding the byte at <paramref name="lsn"/> (XLByteToSeg). Note that
    /// pg_walfile_name() differs at a segment boundary: it names the segment that ENDS there.
    /// </summary>
    public static WalSegmentName Containing(uint timeline, Lsn lsn, long segmentSize = WalSegmentSize.Default) =>
        new(timeline, lsn.Value / (ulong)WalSegmentSize.Validate(segmentSize), segmentSize);

    public Lsn StartLsn => new(SegmentNumber * (ulong)SegmentSize);

    /// <summary>The first LSN after this segment, i.e. where the next one starts.</summary>
    public Lsn EndLsn => new((SegmentNumber + 1) * (ulong)SegmentSize);

    public WalSegmentName Next() => new(Timeline, SegmentNumber + 1, SegmentSize);

    public string FileName
    {
        get
        {
            var perId = WalSegmentSize.SegmentsPerXLogId(SegmentSize);
            return string.Create(CultureInfo.InvariantCulture, $"{Timeline:X8}{SegmentNumber / perId:X8}{SegmentNumber % perId:X8}");
        }
    }

    public override string ToString() => FileName;

    public static WalSegmentName Parse(string fileName, long segmentSize = WalSegmentSize.Default) =>
        TryParse(fileName, out var name, segmentSize)
            ? name
            : throw new FormatException($"'{fileName}' is not a WAL segment name for {segmentSize / (1024 * 1024)} MiB segments");

    /// <summary>Accepts exactly 24 hex digits whose last 8 fit the segment size (e.g. at most 000000FF for 16 MiB).</summary>
    public static bool TryParse(ReadOnlySpan<char> fileName, out WalSegmentName name, long segmentSize = WalSegmentSize.Default)
    {
        name = default;
        WalSegmentSize.Validate(segmentSize);
        if (fileName.Length != FileNameLength ||
            !TryParseHex8(fileName[..8], out var timeline) || timeline == 0 ||
            !TryParseHex8(fileName[8..16], out var xlogId) ||
            !TryParseHex8(fileName[16..], out var segInId))
            return false;
        var perId = WalSegmentSize.SegmentsPerXLogId(segmentSize);
        if (segInId >= perId)
            return false;
        name = new WalSegmentName(timeline, xlogId * perId + segInId, segmentSize);
        return true;
    }

    internal static bool TryParseHex8(ReadOnlySpan<char> text, out uint value)
    {
        value = 0;
        // PostgreSQL writes upper case only; lower case would be a different file on disk.
        foreach (var c in text)
            if (!char.IsAsciiDigit(c) && c is not (>= 'A' and <= 'F'))
                return false;
        return text.Length == 8 && uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }
}
