using System.Security.Cryptography;
using PgBackup.Errors;
using PgBackup.Repository.Catalog;

namespace PgBackup.Restore;

/// <summary>The files of a backup as they land on disk: layout first, content by PackDownload, then checks and metadata.</summary>
internal sealed class RestoredFiles(RestoreTarget target, BackupManifest backup)
{
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly HashSet<BackupFile> _kept = [];

    public string PathOf(BackupFile file) => target.PathOf(file.Tablespace, file.Path);

    /// <summary>Files whose content must be written (all of them, except those a --delta restore kept).</summary>
    public bool NeedsContent(BackupFile file) => file.Type == BackupFileType.File && !_kept.Contains(file);

    public int KeptCount => _kept.Count;

    /// <summary>Creates every directory and symlink, and every file at its final size, so chunks can land in any order.</summary>
    public void CreateLayout()
    {
        foreach (var dir in target.Roots)
            Directory.CreateDirectory(dir, DirectoryMode);
        foreach (var entry in backup.Files.Where(f => f.Type == BackupFileType.Directory))
            Directory.CreateDirectory(PathOf(entry), DirectoryMode);
        foreach (var entry in backup.Files.Where(f => f.Type == BackupFileType.SymbolicLink))
            File.CreateSymbolicLink(PathOf(entry), entry.LinkTarget!);
        foreach (var entry in backup.Files.Where(NeedsContent))
        {
            var path = PathOf(entry);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!, DirectoryMode);
            using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.None, FileOptions.None, 0);
            if (entry.Size > 0) RandomAccess.SetLength(handle, entry.Size);
        }
    }

    /// <summary>
    /// For --delta: keeps every file whose size and SHA-256 match the backup, and removes whatever
    /// the backup does not have (a stale file in PGDATA is a corruption waiting to happen).
    /// WAL and the files a restore itself adds are always rewritten.
    /// </summary>
    public async Task KeepMatchingAsync(CancellationToken ct)
    {
        var wanted = backup.Files.ToDictionary(PathOf, f => f, StringComparer.Ordinal);
        foreach (var root in target.Roots.Where(Directory.Exists))
            RemoveUnwanted(new DirectoryInfo(root), wanted, target.MarkerPath);
        await Parallel.ForEachAsync(backup.Files.Where(f => f.Type == BackupFileType.File && File.Exists(PathOf(f)) && new FileInfo(PathOf(f)).Length == f.Size),
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct }, async (entry, token) =>
            {
                if (await Sha256Async(PathOf(entry), token).ConfigureAwait(false) == entry.Sha256)
                    lock (_kept) _kept.Add(entry);
            }).ConfigureAwait(false);
    }

    /// <summary>Walks without following symbolic links: a link into a tablespace must never lead the cleanup there.</summary>
    private static void RemoveUnwanted(DirectoryInfo dir, Dictionary<string, BackupFile> wanted, string marker)
    {
        foreach (var entry in dir.EnumerateFileSystemInfos())
        {
            if (entry.FullName == marker) continue; // this restore's own mark: it goes last
            var type = entry.LinkTarget is not null ? BackupFileType.SymbolicLink
                : entry is DirectoryInfo ? BackupFileType.Directory : BackupFileType.File;
            var inPgWal = entry.FullName.Contains("/pg_wal/", StringComparison.Ordinal);
            if (wanted.TryGetValue(entry.FullName, out var expected) && expected.Type == type && !inPgWal)
            {
                if (type == BackupFileType.Directory) RemoveUnwanted((DirectoryInfo)entry, wanted, marker);
                continue;
            }
            if (entry is DirectoryInfo { LinkTarget: null } d) d.Delete(recursive: true);
            else entry.Delete();
        }
    }

    /// <summary>Re-reads every written file and compares its SHA-256 with the manifest, in parallel.</summary>
    public Task VerifyAsync(CancellationToken ct) =>
        Parallel.ForEachAsync(backup.Files.Where(NeedsContent), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct }, async (entry, token) =>
        {
            var sha256 = await Sha256Async(PathOf(entry), token).ConfigureAwait(false);
            if (sha256 != entry.Sha256)
                throw new RepositoryException($"restored file {entry.Path} has SHA-256 {sha256}, the backup recorded {entry.Sha256}: backup {backup.Id} is damaged; run `pgbackup verify {backup.Id}`");
        });

    /// <summary>Points tablespace_map (read by PostgreSQL at startup) at the directories tablespaces were restored into.</summary>
    public void RewriteTablespaceMap()
    {
        if (backup.Tablespaces.Count == 0) return;
        var lines = backup.Tablespaces.Select(t => $"{t.Oid} {Escape(target.TablespaceDirs[t.Oid])}");
        RestoreCompletion.WriteDurably(Path.Combine(target.PgData, "tablespace_map"), string.Join("\n", lines) + "\n");
    }

    /// <summary>Modes and modification times as recorded; directories last and deepest first, since writing into a directory touches its mtime.</summary>
    public void ApplyMetadata()
    {
        foreach (var entry in backup.Files.Where(f => f.Type == BackupFileType.File))
        {
            var path = PathOf(entry);
            File.SetUnixFileMode(path, (UnixFileMode)entry.Mode);
            File.SetLastWriteTimeUtc(path, entry.ModifiedTime.UtcDateTime);
        }
        foreach (var entry in backup.Files.Where(f => f.Type == BackupFileType.Directory).OrderByDescending(f => f.Path.Length))
        {
            var path = PathOf(entry);
            File.SetUnixFileMode(path, (UnixFileMode)entry.Mode);
            Directory.SetLastWriteTimeUtc(path, entry.ModifiedTime.UtcDateTime);
        }
    }

    private static async Task<string> Sha256Async(string path, CancellationToken ct)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct).ConfigureAwait(false));
    }

    /// <summary>tablespace_map escapes backslashes in paths the way PostgreSQL reads them back.</summary>
    private static string Escape(string path)
    {
        if (path.Contains('\n') || path.Contains('\r'))
            throw new UsageException($"tablespace directory '{path}' contains a line break; choose another directory");
        return path.Replace("\\", "\\\\", StringComparison.Ordinal);
    }
}
