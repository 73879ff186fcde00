using System.Diagnostics;
using System.Text.Json;
using PgBackup.Drill;
using PgBackup.Errors;
using PgBackup.Repository;
using PgBackup.Repository.Storage;
using PgBackup.Repository.Catalog;

namespace PgBackup.Verify;

/// <summary>
/// The objects of a repository that belong to no one backup, each checked against the checksum it
/// carries: repo.json, every backup's manifest.json (also the ones whose backup is not verified
/// this time: a damaged one could be the newest), leases, drill reports, and — for `verify --all` —
/// every partial segment and history file, also outside any backup's window.
/// </summary>
internal sealed class RepositoryObjectsCheck(BackupRepository repository)
{
    private readonly Findings _findings = new(new ProvenObjects());

    /// <summary>A complete backup whose manifest.json read (kept as its header), and whether its checksum vouched for it.</summary>
    public sealed record ReadableBackup(BackupManifest Manifest, bool Checksummed);

    public async Task<(RepositoryReport Report, IReadOnlyList<ReadableBackup> Backups)> RunAsync(bool allWal, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var layout = repository.Layout;
        await CheckDescriptorAsync(ct).ConfigureAwait(false);

        var backupKeys = await KeysAsync(layout.BackupsPrefix, ct).ConfigureAwait(false);
        var backups = new List<ReadableBackup>();
        foreach (var key in backupKeys)
            if (layout.TryParseBackupManifest(key, out var id) && await ReadManifestAsync(key, id, ct).ConfigureAwait(false) is { } backup)
                backups.Add(backup);
        var leases = backupKeys.Where(k => layout.BackupIdOf(k) is { } id && k == layout.BackupLease(id)).ToList();
        foreach (var key in leases)
            await DocumentAsync(key, () => BackupLease.ReadCheckedAsync(repository, layout.BackupIdOf(key)!, ct)).ConfigureAwait(false);

        var drills = (await KeysAsync(layout.DrillsPrefix, ct).ConfigureAwait(false)).Where(k => k.EndsWith(".json", StringComparison.Ordinal)).ToList();
        foreach (var key in drills)
            await DocumentAsync(key, () => DrillReports.ReadCheckedAsync(repository, key, ct)).ConfigureAwait(false);

        var (partials, histories) = allWal ? await CheckWalObjectsAsync(backups, ct).ConfigureAwait(false) : (0, 0);
        var report = new RepositoryReport(backups.Count, leases.Count, drills.Count, partials, histories, _findings.BytesRead, clock.Elapsed, _findings.Faults, _findings.Unchecked);
        // Ordered as the catalog orders them: by recorded start, not by id.
        return (report, backups.OrderBy(b => b.Manifest.StartTime).ThenBy(b => b.Manifest.Id, StringComparer.Ordinal).ToList());
    }

    private async Task CheckDescriptorAsync(CancellationToken ct)
    {
        var key = repository.Layout.Descriptor;
        await _findings.GuardedAsync(key, async () =>
        {
            switch (await RepositoryDescriptor.ReadCheckedAsync(repository.Store, repository.Layout, ct).ConfigureAwait(false))
            {
                case null: _findings.Fault(key, "missing from the repository"); break;
                case { Checksummed: false }: _findings.NoChecksum(key); break;
            }
        }).ConfigureAwait(false);
    }

    private async Task<ReadableBackup?> ReadManifestAsync(string key, string id, CancellationToken ct)
    {
        ReadableBackup? read = null;
        await ListedAsync(key, async () =>
        {
            var (manifest, checksummed) = await BackupCatalog.ReadCheckedManifestAsync(repository, id, ct).ConfigureAwait(false);
            if (!checksummed) _findings.NoChecksum(key);
            // Every manifest is checked whole here, but kept as its header: a repository of many large backups verifies in one manifest's memory.
            read = new ReadableBackup(manifest.Header(), checksummed);
        }).ConfigureAwait(false);
        return read;
    }

    private Task DocumentAsync<T>(string key, Func<Task<(T, bool Checksummed)>> read) =>
        ListedAsync(key, async () =>
        {
            try
            {
                if (!(await read().ConfigureAwait(false)).Checksummed) _findings.NoChecksum(key);
            }
            catch (JsonException e)
            {
                _findings.Fault(key, $"is not a valid document ({e.Message.Split('\n')[0]})");
            }
        });

    /// <summary>Checks a document found in a listing; one removed since (a backup finished, expire ran) is no fault.</summary>
    private async Task ListedAsync(string key, Func<Task> check)
    {
        try
        {
            await check().ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
        }
        catch (RepositoryException e)
        {
            _findings.Fault(key, e.Message);
        }
    }

    /// <summary>Every partial segment (which must decode to a whole segment) and history file under wal/.</summary>
    private async Task<(int Partials, int Histories)> CheckWalObjectsAsync(IReadOnlyList<ReadableBackup> backups, CancellationToken ct)
    {
        var layout = repository.Layout;
        // repo.json does not record wal_segment_size; every manifest does, and it never changes for a system.
        long? segmentSize = backups.Count > 0 ? backups[0].Manifest.WalSegmentSize : null;
        var keys = await KeysAsync(layout.WalPrefix, ct).ConfigureAwait(false);
        var partials = keys.Where(k => layout.TryParseWalObject(k, out var name) && name.Partial).Select(k => (Key: k, PlainLength: segmentSize, Partial: true)).ToList();
        var histories = keys.Where(k => layout.TryParseTimelineHistory(k, out _)).Select(k => (Key: k, PlainLength: (long?)null, Partial: false)).ToList();
        await Parallel.ForEachAsync(partials.Concat(histories), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2, CancellationToken = ct },
            async (o, token) => await EncodedObjectCheck.RunAsync(repository, o.Key, o.PlainLength, mayVanish: o.Partial, _findings.Fault, _findings.NoChecksum, _findings.Read, token).ConfigureAwait(false)).ConfigureAwait(false);
        return (partials.Count, histories.Count);
    }

    private async Task<List<string>> KeysAsync(string prefix, CancellationToken ct)
    {
        var keys = new List<string>();
        await foreach (var o in repository.Store.ListAsync(prefix, ct).ConfigureAwait(false))
            keys.Add(o.Key);
        return keys;
    }
}
