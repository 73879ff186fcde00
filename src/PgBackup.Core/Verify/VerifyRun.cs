using PgBackup.Errors;
using PgBackup.Repository;
using PgBackup.Repository.Catalog;
using PgBackup.Repository.Storage;

namespace PgBackup.Verify;

/// <summary>What one `verify` found: the repository's own objects, then each backup verified.</summary>
public sealed record VerifyOutcome(RepositoryReport Repository, IReadOnlyList<VerifyReport> Backups)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<VerifyFault> Faults => [.. Repository.Faults, .. Backups.SelectMany(b => b.Faults)];
}

/// <summary>
/// `pgbackup verify`: every stored object is checked against a checksum it carries or the manifest
/// records. First the objects of the repository itself (repo.json, all manifests, leases, drill
/// reports; with <paramref name="all"/> every partial segment and history file), then the chosen
/// backups with their objects and the WAL of their windows.
/// </summary>
public static class VerifyRun
{
    /// <param name="backupId">The backup to verify, "latest" for the newest; ignored with <paramref name="all"/>.</param>
    /// <param name="verified">Called as each backup's report is ready, for output while the rest runs.</param>
    /// <exception cref="UsageException">No such complete backup (a damaged manifest of it is a fault, not this).</exception>
    public static async Task<VerifyOutcome> RunAsync(BackupRepository repository, string backupId, bool all, Action<RepositoryReport>? repositoryChecked, Action<VerifyReport>? verified, CancellationToken ct)
    {
        var (repositoryReport, readable) = await new RepositoryObjectsCheck(repository).RunAsync(allWal: all, ct).ConfigureAwait(false);
        repositoryChecked?.Invoke(repositoryReport);
        var chosen = all ? readable : Choose(repository, readable, backupId, repositoryReport);
        var reports = new List<VerifyReport>();
        var proven = new ProvenObjects();
        foreach (var backup in chosen)
        {
            BackupManifest whole;
            try
            {
                whole = await BackupCatalog.ReadManifestAsync(repository, backup.Manifest.Id, ct).ConfigureAwait(false);
            }
            catch (ObjectNotFoundException)
            {
                // Expired since the repository's objects were checked, as the check itself allows: nothing to verify.
                continue;
            }
            var report = await new BackupVerifier(repository, proven).VerifyAsync(whole, backup.Checksummed, ct).ConfigureAwait(false);
            verified?.Invoke(report);
            reports.Add(report);
        }
        return new VerifyOutcome(repositoryReport, reports);
    }

    private static IReadOnlyList<RepositoryObjectsCheck.ReadableBackup> Choose(BackupRepository repository, IReadOnlyList<RepositoryObjectsCheck.ReadableBackup> readable, string backupId, RepositoryReport report)
    {
        if (backupId == "latest")
            return readable.Count > 0 || !report.Ok ? readable.TakeLast(1).ToList()
                : throw new UsageException($"no complete backup in {repository.Describe}; take one with `pgbackup backup`");
        if (readable.FirstOrDefault(b => b.Manifest.Id == backupId) is { } backup) return [backup];
        // A backup whose manifest.json is damaged is named among the repository's faults.
        return report.Faults.Any(f => f.Object == repository.Layout.BackupManifest(backupId)) ? []
            : throw new UsageException($"no complete backup '{backupId}' in {repository.Describe}; `pgbackup list` shows the ids");
    }
}
