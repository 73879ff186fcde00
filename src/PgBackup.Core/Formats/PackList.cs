using PgBackup.Repository;
using PgBackup.Repository.Catalog;
using PgBackup.Repository.Packs;

namespace PgBackup.Formats;

/// <summary>
/// manifest.json's list of packs, and each chunk's number in it: the backup's own stored packs
/// first, then — for an incremental — each pack of an earlier backup that one of its chunks reuses,
/// added when first used, so the manifest names exactly the packs a restore reads.
/// </summary>
internal sealed class PackList
{
    private readonly List<StoredObject> _packs = [];
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly IReadOnlyDictionary<string, StoredObject> _inheritable;

    /// <param name="own">The packs this backup stored (absolute keys).</param>
    /// <param name="inheritable">Packs of earlier backups a chunk may point at, by absolute key.</param>
    public PackList(BackupRepository repository, string backupId, IReadOnlyList<StoredPack> own, IReadOnlyDictionary<string, StoredObject> inheritable)
    {
        _inheritable = inheritable;
        foreach (var pack in own)
            Add(pack.Key, new StoredObject(BackupObjects.Relative(repository, backupId, pack.Key), pack.Size, pack.Sha256));
    }

    public IReadOnlyList<StoredObject> Packs => _packs;

    /// <summary>The manifest number of the pack stored under <paramref name="absoluteKey"/>.</summary>
    public int IndexOf(string absoluteKey) =>
        _index.TryGetValue(absoluteKey, out var i) ? i
            : _inheritable.TryGetValue(absoluteKey, out var inherited) ? Add(absoluteKey, inherited)
            : throw new InvalidOperationException($"a chunk points at '{absoluteKey}', which is neither stored by this backup nor reused from its reference");

    private int Add(string absoluteKey, StoredObject pack)
    {
        _index[absoluteKey] = _packs.Count;
        _packs.Add(pack);
        return _packs.Count - 1;
    }
}
