namespace PgBackup.Repository.Catalog;

/// <summary>A backup's chain: the backup, the one it was compared with, and so on back to its full backup.</summary>
public static class BackupChain
{
    /// <summary>The chain from <paramref name="backup"/> (first) to its full (last); null when a link is missing or the references loop.</summary>
    public static IReadOnlyList<BackupManifest>? Of(BackupManifest backup, IReadOnlyDictionary<string, BackupManifest> byId)
    {
        var chain = new List<BackupManifest> { backup };
        while (chain[^1].Reference is { } id)
        {
            if (!byId.TryGetValue(id, out var reference) || chain.Count > byId.Count) return null;
            chain.Add(reference);
        }
        return chain;
    }

    public static IReadOnlyDictionary<string, BackupManifest> ById(IEnumerable<BackupManifest> backups) =>
        backups.ToDictionary(b => b.Id, StringComparer.Ordinal);
}
