using PgBackup.Postgres;
using PgBackup.Repository.Catalog;

namespace PgBackup.Backup;

/// <summary>What a backup will be: its type, the backup it builds on, and — when a diff or incr became a full — why.</summary>
public sealed record BackupBasis(BackupType Type, BackupManifest? Reference, string? FullBecause)
{
    public static BackupBasis Full(string? because = null) => new(BackupType.Full, null, because);
}

/// <summary>
/// Which backup an incremental builds on: a diff on the newest full, an incr on the newest backup
/// of any type. A candidate that cannot serve — another cluster, another PostgreSQL major, a
/// timeline the source did not descend from, no block map, a broken or too long chain — makes the
/// backup a full one, and the reason is said, never silently.
/// </summary>
public static class ReferenceChoice
{
    /// <param name="complete">The repository's complete backups, oldest first.</param>
    /// <param name="sourceHistory">The source's timeline history: the reference must lie on it.</param>
    /// <param name="hasBlockMap">Whether a backup's format recorded the chunk hashes an incremental compares with.</param>
    public static BackupBasis Choose(BackupType requested, IReadOnlyList<BackupManifest> complete, string systemIdentifier, int pgMajor,
        TimelineHistory sourceHistory, int maxChain, Func<BackupManifest, bool> hasBlockMap)
    {
        if (requested == BackupType.Full) return BackupBasis.Full();
        var candidate = Candidate(requested, complete);
        if (candidate is null)
            return BackupBasis.Full(requested == BackupType.Diff ? "there is no full backup to build on yet" : "there is no backup to build on yet");
        var why = Unusable(candidate, complete, systemIdentifier, pgMajor, sourceHistory, maxChain, hasBlockMap);
        return why is null ? new BackupBasis(requested, candidate, null) : BackupBasis.Full(why);
    }

    /// <summary>The backup a diff (the newest full) or an incr (the newest of any type) would build on, usable or not; null for a full.</summary>
    public static BackupManifest? Candidate(BackupType requested, IReadOnlyList<BackupManifest> complete) => requested switch
    {
        BackupType.Full => null,
        BackupType.Diff => complete.LastOrDefault(b => b.Type == BackupType.Full),
        _ => complete.LastOrDefault(),
    };

    private static string? Unusable(BackupManifest c, IReadOnlyList<BackupManifest> complete, string systemIdentifier, int pgMajor,
        TimelineHistory sourceHistory, int maxChain, Func<BackupManifest, bool> hasBlockMap)
    {
        if (c.SystemIdentifier != systemIdentifier)
            return $"the newest candidate {c.Id} is of another cluster (system identifier {c.SystemIdentifier}, the source has {systemIdentifier})";
        if (c.ServerVersionNum / 10000 != pgMajor)
            return $"the newest candidate {c.Id} is of PostgreSQL {c.ServerVersionNum / 10000}, the source runs {pgMajor}";
        if (!sourceHistory.IncludesWalUpTo(c.Timeline, c.EndLsn))
            return $"the newest candidate {c.Id} ends at {c.EndLsn} on timeline {c.Timeline}, which is not on the source's timeline {sourceHistory.Timeline} history";
        if (!hasBlockMap(c))
            return $"the newest candidate {c.Id} has no block map (it stores server-compressed archives, or an older pgbackup took it)";
        if (c.DependsOn.FirstOrDefault(id => complete.All(b => b.Id != id)) is { } missing)
            return $"the newest candidate {c.Id} reuses blocks of backup {missing}, which is not in the repository";
        if (BackupChain.Of(c, BackupChain.ById(complete)) is not { } chain)
            return $"the chain of the newest candidate {c.Id} is broken (a backup it builds on is gone)";
        if (chain.Count > maxChain)
            return $"the newest candidate {c.Id} is already {chain.Count - 1} link(s) from its full backup (backup.max_chain: {maxChain})";
        return null;
    }
}
