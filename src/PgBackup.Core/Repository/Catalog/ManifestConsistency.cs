using PgBackup.Postgres;

namespace PgBackup.Repository.Catalog;

/// <summary>
/// What a manifest.json that parsed must also be before anything uses it: the facts restore,
/// verify and expire build on (LSNs that parse, chunks that point into the backup, one entry per
/// path), so a document that is valid JSON but damaged — old ones have no checksum — is one named
/// error instead of an exception deep inside a restore.
/// </summary>
internal static class ManifestConsistency
{
    /// <summary>The first inconsistency, or null if there is none.</summary>
    public static string? FirstProblem(BackupManifest m) => MissingMember(m) ?? Inconsistency(m);

    /// <summary>A header's files are checked when its manifest is read whole.</summary>
    private static IReadOnlyList<BackupFile> FilesOf(BackupManifest m) => m.IsHeader ? [] : m.Files;

    /// <summary>
    /// Records of the manifest are read through their constructors, whose parameters stay optional
    /// (null members are not written): a member whose name was damaged arrives as null.
    /// </summary>
    private static string? MissingMember(BackupManifest m)
    {
        if (m.Source is not { Member: not null, Host: not null }) return "source lacks member or host";
        if (m.Tablespaces.Any(t => t?.Location is null)) return "a tablespace lacks its location";
        if (FilesOf(m).Any(f => f?.Path is null || f.Chunks is null || f.Chunks.Any(c => c is null))) return "a file lacks its path or chunks";
        if (m.Archives.Any(a => a?.Name is null || a.Pieces is null || a.Pieces.Any(p => p is null))) return "an archive lacks its name or pieces";
        if (m.Packs.Any(p => p?.Key is null || p.Sha256 is null)) return "a pack lacks its key or sha256";
        if (m.Wal.Append(m.PostgresManifest).Any(o => o?.Key is null || o.PlainSha256 is null)) return "a WAL object or PostgreSQL's manifest lacks its key or plainSha256";
        return null;
    }

    private static string? Inconsistency(BackupManifest m)
    {
        // An LSN that is not one fails the JSON read itself (LsnJsonConverter).
        if (m.EndLsn < m.StartLsn) return $"endLsn {m.EndLsn} lies before startLsn {m.StartLsn}";
        if (m.Timeline == 0) return "timeline is 0";
        if (!WalSegmentSize.IsValid(m.WalSegmentSize)) return $"walSegmentSize {m.WalSegmentSize} is not a WAL segment size";
        if (m.ChunkSize <= 0) return $"chunkSize {m.ChunkSize} is not a size";
        if (Duplicate(m.Tablespaces.Select(t => t.Oid.ToString(System.Globalization.CultureInfo.InvariantCulture))) is { } oid) return $"tablespace {oid} is listed twice";
        if (Duplicate(m.Packs.Select(p => $"{p.Backup}/{p.Key}")) is { } pack) return $"pack {pack} is listed twice";
        if (m.Packs.Select(p => p.Backup).Append(m.Reference).FirstOrDefault(b => b is not null && !BackupId.IsValid(b)) is { } strange) return $"'{strange}' is not a backup id";
        if (m.Packs.FirstOrDefault(p => p.Backup == m.Id) is { } own) return $"pack {own.Key} names its own backup as an earlier one";
        if ((m.Type == BackupType.Full) != (m.Reference is null)) return m.Reference is null ? $"the {m.Type.Name()} backup names no reference" : "a full backup names a reference";
        if (m.Type == BackupType.Full && m.Packs.Any(p => p.Backup is not null)) return "a full backup reuses packs of other backups";
        if (Duplicate(FilesOf(m).Select(f => $"{f.Tablespace}/{f.Path}")) is { } path) return $"file {path} is listed twice";
        foreach (var file in FilesOf(m))
        {
            if (file.Size < 0) return $"file {file.Path} has size {file.Size}";
            if (file.Type == BackupFileType.File && file.Sha256 is null) return $"file {file.Path} has no sha256";
            if (file.Type == BackupFileType.SymbolicLink && file.LinkTarget is null) return $"symbolic link {file.Path} has no target";
            if (file.Chunks.Select(c => ChunkProblem(m, c, m.ChunkSize)).FirstOrDefault(p => p is not null) is { } chunk) return $"file {file.Path}: {chunk}";
            if (LayoutProblem(file, m.ChunkSize) is { } layout) return $"file {file.Path}: {layout}";
        }
        foreach (var archive in m.Archives)
            if (archive.Pieces.Select(p => ChunkProblem(m, p, int.MaxValue)).FirstOrDefault(p => p is not null) is { } piece) return $"archive {archive.Name}: {piece}";
        // Restore places chunks by their offset in the pack: two at one offset would overwrite each other.
        if (FilesOf(m).SelectMany(f => f.Chunks).Concat(m.Archives.SelectMany(a => a.Pieces)).GroupBy(c => (c.Pack, c.Offset)).FirstOrDefault(g => g.Count() > 1) is { } shared)
            return $"two chunks lie at offset {shared.Key.Offset} of pack {m.Packs[shared.Key.Pack].Key}";
        return null;
    }

    private static string? ChunkProblem(BackupManifest m, ChunkLocation c, int maxPlainLength)
    {
        if (c.Pack < 0 || c.Pack >= m.Packs.Count) return $"a chunk points at pack number {c.Pack}, the backup has {m.Packs.Count}";
        if (c.Offset < 0 || c.StoredLength <= 0 || c.Offset + c.StoredLength > m.Packs[c.Pack].Size)
            return $"a chunk at offset {c.Offset} with {c.StoredLength} stored bytes lies outside pack {m.Packs[c.Pack].Key} ({m.Packs[c.Pack].Size} bytes)";
        if (c.PlainLength < 0 || c.PlainLength > maxPlainLength) return $"a chunk of pack {m.Packs[c.Pack].Key} has plainLength {c.PlainLength}, chunks hold at most {maxPlainLength}";
        return null;
    }

    /// <summary>A file is cut into full chunks and one shorter last one (restore writes chunk i at i × chunkSize).</summary>
    private static string? LayoutProblem(BackupFile file, int chunkSize)
    {
        if (file.Type != BackupFileType.File) return file.Chunks.Count == 0 ? null : $"a {file.Type} has chunks";
        var count = (file.Size + chunkSize - 1) / chunkSize;
        if (file.Chunks.Count != count) return $"{file.Chunks.Count} chunk(s) for {file.Size} bytes, which take {count}";
        for (var i = 0; i < file.Chunks.Count; i++)
        {
            var expected = Math.Min(chunkSize, file.Size - (long)i * chunkSize);
            if (file.Chunks[i].PlainLength != expected) return $"chunk {i} has plainLength {file.Chunks[i].PlainLength}, a file of {file.Size} bytes has {expected} there";
        }
        return null;
    }

    private static string? Duplicate(IEnumerable<string> names) =>
        names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1)?.Key;
}
