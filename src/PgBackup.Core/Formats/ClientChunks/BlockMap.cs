using PgBackup.Repository;
using PgBackup.Repository.Catalog;
using PgBackup.Repository.Packs;

namespace PgBackup.Formats.ClientChunks;

/// <summary>
/// The block map of an incremental's reference: for every file, where each chunk lives and the
/// SHA-256 of its plain content. A chunk the source sends whose content hash equals the
/// reference's chunk at the same place of the same file is not stored again — the new manifest
/// points at the reference's copy, whichever backup of the chain stored it. Comparing content,
/// not timestamps or WAL summaries, makes the reuse safe whatever happened in between.
/// </summary>
internal sealed class BlockMap
{
    private readonly Dictionary<(uint?, string), BackupFile> _files;
    private readonly IReadOnlyList<string> _packKeys;

    public BlockMap(BackupRepository repository, BackupManifest reference)
    {
        Reference = reference;
        _files = reference.Files.Where(f => f.Type == BackupFileType.File).ToDictionary(f => (f.Tablespace, f.Path));
        _packKeys = reference.Packs.Select(p => BackupObjects.PackKey(repository, reference, p)).ToList();
        Packs = reference.Packs.Select((p, i) => (Key: _packKeys[i], Pack: p with { Backup = p.Backup ?? reference.Id }))
            .ToDictionary(p => p.Key, p => p.Pack, StringComparer.Ordinal);
    }

    public BackupManifest Reference { get; }

    /// <summary>The reference's packs by absolute key, each naming the backup that stored it.</summary>
    public IReadOnlyDictionary<string, StoredObject> Packs { get; }

    /// <summary>Where the reference holds this exact chunk, or null when it must be stored.</summary>
    public ChunkRef? Find(uint? tablespace, string path, int sequence, int plainLength, string plainSha256)
    {
        if (!_files.TryGetValue((tablespace, path), out var file) || sequence >= file.Chunks.Count) return null;
        var chunk = file.Chunks[sequence];
        return chunk.PlainLength == plainLength && chunk.PlainSha256 == plainSha256
            ? new ChunkRef(_packKeys[chunk.Pack], chunk.Offset, chunk.StoredLength, chunk.PlainLength)
            : null;
    }
}
