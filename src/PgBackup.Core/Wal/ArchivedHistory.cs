using PgBackup.Postgres;
using PgBackup.Repository;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Catalog;

namespace PgBackup.Wal;

/// <summary>Timeline history files as the repository holds them: in the archive, or inside the backups that carry their own.</summary>
public static class ArchivedHistory
{
    /// <summary>The archive's history of <paramref name="timeline"/>; timeline 1 has none; null when its file is not archived.</summary>
    public static Task<TimelineHistory?> LoadAsync(BackupRepository repository, uint timeline, CancellationToken ct) =>
        LoadAsync(repository, timeline, [], ct);

    /// <summary>
    /// The archive's history of <paramref name="timeline"/>, else the copy a backup on that timeline
    /// keeps (as pg_basebackup -X stream does): a repository without an archiver has no other.
    /// </summary>
    public static async Task<TimelineHistory?> LoadAsync(BackupRepository repository, uint timeline, IEnumerable<BackupManifest> backups, CancellationToken ct)
    {
        if (timeline == 1) return TimelineHistory.ForFirstTimeline;
        using var content = new MemoryStream();
        return await TryGetAsync(repository, timeline, backups, content, ct).ConfigureAwait(false)
            ? TimelineHistory.Parse(timeline, content.GetBuffer().AsSpan(0, (int)content.Length))
            : null;
    }

    /// <summary>Writes the history file of <paramref name="timeline"/> — the archive's, else a backup's own copy — to <paramref name="destination"/>; false when neither has it.</summary>
    public static async Task<bool> TryGetAsync(BackupRepository repository, uint timeline, IEnumerable<BackupManifest> backups, Stream destination, CancellationToken ct)
    {
        if (await repository.Wal.TryGetHistoryAsync(timeline, destination, ct).ConfigureAwait(false)) return true;
        var name = WalFileName.HistoryFileName(timeline);
        foreach (var backup in backups.Reverse())
        {
            if (backup.Wal.FirstOrDefault(w => w.FileName == name) is not { } stored) continue;
            await repository.Store.GetDecodedAsync(BackupObjects.Absolute(repository, backup.Id, stored.Key), repository.Codec, destination, ct).ConfigureAwait(false);
            return true;
        }
        return false;
    }
}
