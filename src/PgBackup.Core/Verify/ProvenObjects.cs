using System.Collections.Concurrent;

namespace PgBackup.Verify;

/// <summary>
/// What one verify run has already proven intact: packs and chunks that backups of a chain share are
/// read once per run, not once for every backup that reuses them. Only what checked out is recorded,
/// so a damaged object is read, and named, for every backup it belongs to.
/// </summary>
internal sealed class ProvenObjects
{
    private readonly ConcurrentDictionary<string, byte> _proven = new(StringComparer.Ordinal);

    public bool Contains(string obj) => _proven.ContainsKey(obj);

    public void Add(string obj) => _proven.TryAdd(obj, 0);
}
