using System.Text;
using PgBackup.Postgres;
using PgBackup.Repository;

namespace PgBackup.Wal;

/// <summary>Timeline history files as the repository holds them.</summary>
public static class ArchivedHistory
{
    /// <summary>The history of <paramref name="timeline"/>; timeline 1 has none; null when its file is not archived.</summary>
    public static async Task<TimelineHistory?> LoadAsync(BackupRepository repository, uint timeline, CancellationToken ct)
    {
        if (timeline == 1) return TimelineHistory.ForFirstTimeline;
        using var content = new MemoryStream();
        if (!await repository.Wal.TryGetHistoryAsync(timeline, content, ct).ConfigureAwait(false)) return null;
        return TimelineHistory.Parse(timeline, Encoding.UTF8.GetString(content.GetBuffer(), 0, (int)content.Length));
    }
}
