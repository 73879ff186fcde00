using System.Security.Cryptography;
using PgBackup.Backup;
using PgBackup.Errors;

namespace PgBackup.Restore;

/// <summary>The files of a backup as they land on disk: layout first, content by PackDownload, then checks and metadata.</summary>
internal sealed class RestoredFiles(RestoreTarget target, BackupManifest backup)
{
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public string PathOf(BackupFile file) => target.PathOf(file.Tablespace, file.Path);

    /// <summary>Creates every directory and symlink, and every file at its final size, so chunks can land in any order.</summary>
    public void CreateLayout()
    {
        foreach (var dir in target.TablespaceDirs.Values.Prepend(target.PgData))
            Directory.CreateDirectory(dir, DirectoryMode);
        foreach (var entry in backup.Files.Where(f => f.Type == BackupFileType.Directory))
            Directory.CreateDirectory(PathOf(entry), DirectoryMode);
        foreach (var entry in backup.Files.Where(f => f.Type == BackupFileType.SymbolicLink))
            File.CreateSymbolicLink(PathOf(entry), entry.LinkTarget!);
        foreach (var entry in backup.Files.Where(f => f.Type == BackupFileType.File))
        {
            var path = PathOf(entry);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!, DirectoryMode);
            using var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.None, 0);
            if (entry.Size > 0) RandomAccess.SetLength(handle, entry.Size);
        }
    }

    /// <summary>Re-reads every restored file and compares its SHA-256 with the manifest, in parallel.</summary>
    public Task VerifyAsync(CancellationToken ct) =>
        Parallel.ForEachAsync(backup.Files.Where(f => f.Type == BackupFileType.File), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct }, async (entry, token) =>
        {
            await using var stream = new FileStream(PathOf(entry), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true);
            var sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, token).ConfigureAwait(false));
            if (sha256 != entry.Sha256)
                throw new RepositoryException($"restored file {entry.Path} has SHA-256 {sha256}, the backup recorded {entry.Sha256}: backup {backup.Id} is damaged; run `pgbackup verify {backup.Id}`");
        });

    /// <summary>Points tablespace_map (read by PostgreSQL at startup) at the directories tablespaces were restored into.</summary>
    public void RewriteTablespaceMap()
    {
        if (backup.Tablespaces.Count == 0) return;
        var lines = backup.Tablespaces.Select(t => $"{t.Oid} {Escape(target.TablespaceDirs[t.Oid])}");
        File.WriteAllText(Path.Combine(target.PgData, "tablespace_map"), string.Join("\n", lines) + "\n");
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

    /// <summary>tablespace_map escapes backslashes and line breaks in paths the way PostgreSQL reads them back.</summary>
    private static string Escape(string path)
    {
        if (path.Contains('\n') || path.Contains('\r'))
            throw new UsageException($"tablespace directory '{path}' contains a line break; choose another directory");
        return path.Replace("\\", "\\\\", StringComparison.Ordinal);
    }
}
