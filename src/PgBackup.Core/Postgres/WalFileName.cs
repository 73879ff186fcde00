namespace PgBackup.Postgres;

public enum WalFileKind
{
    /// <summary>A complete segment: 000000010000000000000003.</summary>
    Segment,
    /// <summary>A segment cut short, e.g. at a timeline switch or by a streaming archiver: 000000010000000000000003.partial.</summary>
    PartialSegment,
    /// <summary>A timeline history file: 00000002.history.</summary>
    TimelineHistory,
    /// <summary>A backup history file written by pg_backup_stop: 000000010000000000000003.00000028.backup.</summary>
    BackupHistory,
}

/// <summary>
/// Classifies the names that appear in pg_wal and in a WAL archive. <see cref="Segment"/> is set
/// for every kind except <see cref="WalFileKind.TimelineHistory"/>; <see cref="BackupStartLsn"/>
/// only for <see cref="WalFileKind.BackupHistory"/>.
/// </summary>
public readonly record struct WalFileName(WalFileKind Kind, uint Timeline, WalSegmentName? Segment, Lsn? BackupStartLsn)
{
    private const string PartialSuffix = ".partial";
    private const string HistorySuffix = ".history";
    private const string BackupSuffix = ".backup";

    public static bool TryParse(string fileName, out WalFileName parsed, long segmentSize = WalSegmentSize.Default)
    {
        parsed = default;
        ReadOnlySpan<char> name = fileName;
        if (name.EndsWith(HistorySuffix, StringComparison.Ordinal))
        {
            var tli = name[..^HistorySuffix.Length];
            if (!WalSegmentName.TryParseHex8(tli, out var timeline) || timeline == 0)
                return false;
            parsed = new WalFileName(WalFileKind.TimelineHistory, timeline, null, null);
            return true;
        }

        var kind = WalFileKind.Segment;
        uint backupOffset = 0;
        if (name.EndsWith(PartialSuffix, StringComparison.Ordinal))
        {
            kind = WalFileKind.PartialSegment;
            name = name[..^PartialSuffix.Length];
        }
        else if (name.EndsWith(BackupSuffix, StringComparison.Ordinal))
        {
            // <segment>.<8 hex offset of the backup's start LSN in that segment>.backup
            kind = WalFileKind.BackupHistory;
            name = name[..^BackupSuffix.Length];
            if (name.Length != WalSegmentName.FileNameLength + 9 || name[WalSegmentName.FileNameLength] != '.' ||
                !WalSegmentName.TryParseHex8(name[(WalSegmentName.FileNameLength + 1)..], out backupOffset) ||
                backupOffset >= segmentSize)
                return false;
            name = name[..WalSegmentName.FileNameLength];
        }

        if (!WalSegmentName.TryParse(name, out var segment, segmentSize))
            return false;
        parsed = new WalFileName(kind, segment.Timeline, segment,
            kind == WalFileKind.BackupHistory ? segment.StartLsn + backupOffset : null);
        return true;
    }

    public static WalFileName Parse(string fileName, long segmentSize = WalSegmentSize.Default) =>
        TryParse(fileName, out var parsed, segmentSize)
            ? parsed
            : throw new FormatException($"'{fileName}' is not a WAL segment, .partial, .history or .backup file name");

    /// <summary>The history file name of a timeline: 8 hex digits + ".history".</summary>
    public static string HistoryFileName(uint timeline) => $"{timeline:X8}{HistorySuffix}";
}
