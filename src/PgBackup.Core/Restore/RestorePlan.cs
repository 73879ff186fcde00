using PgBackup.Postgres;
using PgBackup.Wal;
using PgBackup.Repository.Catalog;

namespace PgBackup.Restore;

/// <summary>
/// What a restore will do, decided before any byte moves: the backup, the timeline path, and the
/// archived WAL recovery will read. `restore --dry-run` prints exactly this.
/// </summary>
/// <param name="WalFrom">First WAL position read from the archive (the backup's end).</param>
/// <param name="WalUntil">Last position recovery will need: the target LSN, or the end of the archive.</param>
/// <param name="WalSegments">Archived segments recovery will read (besides those stored in the backup).</param>
/// <param name="NewestPartial">The archiver's growing last segment, used as the final segment: it holds the
/// WAL of the last seconds before the archive's end (the RPO promise), which no complete segment has yet.</param>
public sealed record RestorePlan(
    BackupManifest Backup,
    RecoveryTarget Target,
    uint Timeline,
    WalPath TimelinePath,
    Lsn WalFrom,
    Lsn? WalUntil,
    long WalSegments,
    WalSegmentName? NewestPartial,
    DateTimeOffset? ArchiveNewestWrite)
{
    /// <summary>Bytes to download: the backup as stored plus the archived WAL (segments are stored compressed; counted plain, as an upper bound).</summary>
    public long DownloadBytes => Backup.StoredSize + (WalSegments + (NewestPartial is null ? 0 : 1)) * Backup.WalSegmentSize;

    /// <summary>A rough duration from the backup's own recorded rate; WAL replay speed is not known in advance.</summary>
    public TimeSpan? EstimatedCopyTime
    {
        get
        {
            var seconds = (Backup.EndTime - Backup.StartTime).TotalSeconds;
            return seconds > 0 && Backup.DatabaseSize > 0 ? TimeSpan.FromSeconds(seconds * (Backup.DatabaseSize + WalSegments * Backup.WalSegmentSize) / Backup.DatabaseSize) : null;
        }
    }

    public string DescribeTimelinePath() =>
        string.Join(" → ", TimelinePath.Ranges.Select(r => r.SwitchPoint is { } sp ? $"{r.Timeline} (until {sp})" : r.Timeline.ToString(System.Globalization.CultureInfo.InvariantCulture)));
}
