using PgBackup.Errors;
using PgBackup.IO;
using PgBackup.Postgres;
using PgBackup.Repository;
using PgBackup.Wal;
using PgBackup.Repository.Catalog;

namespace PgBackup.Restore;

/// <summary>
/// Puts the archived WAL a plan needs into the restore's <see cref="WalSpool"/>, in parallel, before
/// the server starts or (restore --start) while it recovers, <see cref="WalArrival"/>: recovery then replays at disk speed instead of waiting on one repository
/// read per segment, and does not depend on the restored server's OS user being able to read the
/// repository's credentials.
/// History files of the timeline path go along, so recovery can follow the timeline switches.
/// </summary>
internal sealed class ArchivedWalDownload(BackupRepository repository, RestorePlan plan, string spool, FileOwner? owner)
{
    private long _segments;

    public long SegmentsWritten => Interlocked.Read(ref _segments);

    /// <summary>The archived segments recovery replays, in replay order.</summary>
    public IReadOnlyList<WalSegmentName> Segments { get; } = plan.WalUntil is { } until ? plan.TimelinePath.SegmentsUntil(until).ToList() : [];

    /// <summary>
    /// Whether the archive's copy of <paramref name="fileName"/> is among <see cref="Segments"/>: then
    /// the backup's own copy must not be restored. A replica's backup ends inside a segment, and its
    /// copy is zero past that end; recovery reads those zeros as the end of WAL and promotes there,
    /// losing every commit after the backup. While WAL arrives during recovery, the server would take
    /// the backup's copy from the spool (or wal-fetch from pg_wal) before the archive's replaced it;
    /// left out, restore_command waits for the archive's, which holds the same WAL and what follows.
    /// </summary>
    public bool Delivers(string fileName) => Segments.Any(s => s.FileName == fileName);

    /// <summary>The history files of the timeline path and the newest partial: small, and what recovery reads first.</summary>
    public async Task FetchHistoriesAsync(CancellationToken ct)
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
    }

    /// <summary>Every segment of <see cref="Segments"/>, several at once (each checked as it is decoded), roughly in replay order.</summary>
    public Task FetchSegmentsAsync(CancellationToken ct) =>
        Parallel.ForEachAsync(Segments, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2, CancellationToken = ct }, async (segment, token) =>
        {
            await FetchAsync(segment.FileName, (s, t) => repository.Wal.TryGetSegmentAsync(segment.Timeline, segment.FileName, s, t), required: true, token).ConfigureAwait(false);
            Interlocked.Increment(ref _segments);
        });

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
            // Written while the server may already run (WalArrival): it must own what it takes.
            owner?.Apply(temporary);
            // The newest partial may replace the backup's own zero-padded copy of its last segment.
            File.Move(temporary, path, overwrite: true);
            return;
        }
        File.Delete(temporary);
        if (required)
            throw new RepositoryException($"{fileName} vanished from {repository.Describe} since the plan was made (expired meanwhile?); plan again with `pgbackup restore --dry-run`");
    }
}
