using PgBackup.Errors;
using PgBackup.Postgres;
using PgBackup.Repository;
using PgBackup.Wal;
using PgBackup.Repository.Catalog;

namespace PgBackup.Restore;

/// <summary>
/// Puts the archived WAL a plan needs into the restore's <see cref="WalSpool"/> before the server
/// starts, in parallel: recovery then replays at disk speed instead of waiting on one repository
/// read per segment, and does not depend on the restored server's OS user being able to read the
/// repository's credentials.
/// History files of the timeline path go along, so recovery can follow the timeline switches.
/// </summary>
internal sealed class ArchivedWalDownload(BackupRepository repository, RestorePlan plan, string spool)
{
    private long _segments;

    public long SegmentsWritten => Interlocked.Read(ref _segments);

    public async Task RunAsync(CancellationToken ct)
    {
        var backups = await BackupCatalog.ListCompleteAsync(repository, ct).ConfigureAwait(false);
        foreach (var timeline in plan.TimelinePath.Ranges.Select(r => r.Timeline).Append(plan.Timeline).Where(t => t > 1).Distinct())
        {
            // The backup may carry its own timeline's history (spooled with its WAL); the archive's
            // copy is newer if any, and without an archiver a later backup may carry the target timeline's.
            var name = WalFileName.HistoryFileName(timeline);
            var carried = plan.Backup.Wal.Any(w => w.FileName == name);
            await FetchAsync(name, (s, t) => ArchivedHistory.TryGetAsync(repository, timeline, backups, s, t), required: timeline == plan.Timeline && !carried, ct).ConfigureAwait(false);
        }
        if (plan.NewestPartial is { } partial)
            await FetchAsync(partial.FileName, (s, t) => repository.Wal.TryGetPartialAsync(partial.Timeline, partial.FileName, s, t), required: false, ct).ConfigureAwait(false);
        if (plan.WalUntil is not { } until) return;

        var segments = plan.TimelinePath.SegmentsUntil(until).ToList();
        await Parallel.ForEachAsync(segments, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2, CancellationToken = ct }, async (segment, token) =>
        {
            await FetchAsync(segment.FileName, (s, t) => repository.Wal.TryGetSegmentAsync(segment.Timeline, segment.FileName, s, t), required: true, token).ConfigureAwait(false);
            Interlocked.Increment(ref _segments);
        }).ConfigureAwait(false);
    }

    private async Task FetchAsync(string fileName, Func<Stream, CancellationToken, Task<bool>> get, bool required, CancellationToken ct)
    {
        var path = Path.Combine(spool, fileName);
        var temporary = path + ".pgbackup-tmp";
        bool found;
        await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            found = await get(file, ct).ConfigureAwait(false);
            file.Flush(flushToDisk: true);
        }
        if (found)
        {
            // Replaces the backup's own zero-padded copy of its last segment with the complete one.
            File.Move(temporary, path, overwrite: true);
            return;
        }
        File.Delete(temporary);
        if (required)
            throw new RepositoryException($"{fileName} vanished from {repository.Describe} since the plan was made (expired meanwhile?); plan again with `pgbackup restore --dry-run`");
    }
}
