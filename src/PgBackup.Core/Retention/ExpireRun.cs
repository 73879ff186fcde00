using Microsoft.Extensions.Logging;
using PgBackup.Errors;
using PgBackup.Policies;
using PgBackup.Postgres;
using PgBackup.Repository;
using PgBackup.Repository.Storage;
using PgBackup.Wal;
using PgBackup.Repository.Catalog;

namespace PgBackup.Retention;

/// <summary>
/// `pgbackup expire`, top-down: read what the repository holds (backups, WAL listing, history
/// files), compute the <see cref="RetentionPlan"/>, and — unless it is a dry run — carry it out:
/// each expired backup loses its manifest.json first (so a half-removed backup is never listed as
/// complete) and then its objects, then dead backups' debris, then the WAL nobody needs.
/// </summary>
public sealed class ExpireRun(Policy policy, ILogger log)
{
    public async Task<RetentionPlan> RunAsync(bool dryRun, CancellationToken ct)
    {
        using var repository = policy.OpenRepository();
        var plan = await PlanAsync(repository, DateTimeOffset.UtcNow, ct).ConfigureAwait(false);
        if (dryRun) return plan;

        foreach (var backup in plan.Expired)
        {
            log.LogInformation("Expiring backup {Backup} ({Bytes} bytes)", backup.Entry.Id, backup.Entry.StoredBytes);
            await BackupCatalog.RemoveCompleteAsync(repository, backup.Entry.Id, ct).ConfigureAwait(false);
        }
        foreach (var dead in plan.Debris)
        {
            log.LogInformation("Removing debris of dead backup {Backup} ({Bytes} bytes)", dead.Id, dead.StoredBytes);
            await BackupCatalog.RemoveIncompleteAsync(repository, dead.Id, ct).ConfigureAwait(false);
        }
        log.LogInformation("Removing {Count} WAL objects nothing needs", plan.Wal.Count);
        await repository.Store.DeleteManyAsync(plan.Wal.Select(w => w.Object.Key), ct).ConfigureAwait(false);
        return plan;
    }

    private async Task<RetentionPlan> PlanAsync(BackupRepository repository, DateTimeOffset now, CancellationToken ct)
    {
        var backups = await BackupCatalog.ListAsync(repository, ct).ConfigureAwait(false);
        var walObjects = new List<ObjectInfo>();
        await foreach (var o in repository.Store.ListAsync(repository.Layout.WalPrefix, ct).ConfigureAwait(false))
            walObjects.Add(o);
        var histories = new Dictionary<uint, TimelineHistory>();
        foreach (var o in walObjects)
        {
            if (!repository.Layout.TryParseTimelineHistory(o.Key, out var timeline)) continue;
            try
            {
                histories[timeline] = await ArchivedHistory.LoadAsync(repository, timeline, ct).ConfigureAwait(false)
                    ?? throw new RepositoryException($"'{o.Key}' vanished from {repository.Describe} while expire read it; is another expire running?");
            }
            catch (FormatException e)
            {
                // Without the history, which WAL a kept backup needs is unknown: remove nothing.
                throw new RepositoryException($"'{o.Key}' in {repository.Describe} is not a valid history file ({e.Message}); nothing was removed: repair it from the cluster (pg_wal/{WalFileName.HistoryFileName(timeline)}) first", e);
            }
        }
        return RetentionPlan.Compute(backups, walObjects, histories, repository.Layout, policy.Retention, now);
    }
}
