using PgBackup.Errors;
using PgBackup.Postgres;
using PgBackup.Repository;
using PgBackup.Repository.Catalog;

namespace PgBackup.Formats.NativeIncremental;

/// <summary>One version of a file in one backup of the chain: a whole file, or an INCREMENTAL file of it.</summary>
internal sealed record FileVersion(BackupManifest Backup, BackupFile File, bool IsIncremental);

/// <summary>
/// A native incremental and the backups its INCREMENTAL files build on, newest first, down to its
/// full backup: each link's files by path, so that the versions of one file are found without
/// reading any data. Any chunk-stored backup can be a link — a native incremental, a block-level
/// one or a full — since each lists its files whole or as INCREMENTAL files.
/// </summary>
internal sealed class NativeChain
{
    private readonly IReadOnlyList<(BackupManifest Backup, Dictionary<(uint?, string), BackupFile> Files)> _links;

    private NativeChain(IEnumerable<BackupManifest> links) =>
        _links = links.Select(b => (b, b.Files.Where(f => f.Type == BackupFileType.File).ToDictionary(f => (f.Tablespace, f.Path)))).ToList();

    /// <exception cref="RepositoryException">A backup of the chain is missing or unreadable.</exception>
    public static async Task<NativeChain> LoadAsync(BackupRepository repository, BackupManifest backup, CancellationToken ct)
    {
        var links = new List<BackupManifest> { backup };
        while (links[^1].Reference is { } id)
        {
            if (links.Any(l => l.Id == id))
                throw new RepositoryException($"the chain of backup {backup.Id} loops at {id}: its manifests are damaged");
            try
            {
                links.Add(await BackupCatalog.ReadManifestAsync(repository, id, ct).ConfigureAwait(false));
            }
            catch (RepositoryException e)
            {
                throw new RepositoryException($"backup {id}, which native incremental {backup.Id} builds on, cannot be read ({e.Message}); the incremental cannot be restored without it", e);
            }
        }
        return new NativeChain(links);
    }

    /// <summary>
    /// The versions an INCREMENTAL file of the newest backup is rebuilt from, the file itself first:
    /// then each older link's INCREMENTAL file of the same relation file, and last the whole file.
    /// </summary>
    /// <exception cref="RepositoryException">A link has neither version, or the chain ends without the whole file.</exception>
    public IEnumerable<FileVersion> VersionsOf(BackupFile incremental)
    {
        var whole = IncrementalFileHeader.ReconstructedPath(incremental.Path);
        yield return new FileVersion(_links[0].Backup, incremental, true);
        foreach (var (link, files) in _links.Skip(1))
        {
            if (files.TryGetValue((incremental.Tablespace, whole), out var full))
            {
                yield return new FileVersion(link, full, false);
                yield break;
            }
            if (!files.TryGetValue((incremental.Tablespace, incremental.Path), out var older))
                throw new RepositoryException($"backup {link.Id} has neither {whole} nor {incremental.Path}, which {incremental.Path} of backup {_links[0].Backup.Id} builds on: the chain is damaged");
            yield return new FileVersion(link, older, true);
        }
        throw new RepositoryException($"no backup of the chain of {_links[0].Backup.Id} holds {whole} whole (only INCREMENTAL files of it): the chain is damaged");
    }
}
