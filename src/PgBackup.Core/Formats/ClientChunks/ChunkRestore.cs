using System.Security.Cryptography;
using PgBackup.Errors;
using PgBackup.Repository.Catalog;
using PgBackup.Repository;

namespace PgBackup.Formats.ClientChunks;

/// <summary>
/// Restores a client-chunks backup: the manifest lists every file, so the layout (directories,
/// symlinks, files at their final size) is made first, and chunks land in any order from parallel
/// pack reads, each checked against its SHA-256 as it is written. Files of older backups, whose
/// chunks carry no SHA-256, are read back against the file's. Knowing each file's checksum is also
/// what lets --delta keep the files that already match.
/// </summary>
internal sealed class ChunkRestore(BackupRepository repository, BackupManifest backup, IRestoreDestination target, bool delta) : IContentRestore
{
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly HashSet<BackupFile> _kept = [];
    private PackDownload? _download;

    public string PathOf(BackupFile file) => target.PathOf(file.Tablespace, file.Path);

    /// <summary>Files whose content must be written (all of them, except those a --delta restore kept).</summary>
    public bool NeedsContent(BackupFile file) => file.Type == BackupFileType.File && !_kept.Contains(file);

    /// <summary>Chunks land in any order, many per file: the files are flushed once, at the end.</summary>
    public bool FlushesFiles => false;

    public int FilesKept => _kept.Count;

    public long BytesWritten => _download?.BytesWritten ?? 0;

    public async Task PrepareAsync(CancellationToken ct)
    {
        if (delta) await KeepMatchingAsync(ct).ConfigureAwait(false);
        CreateLayout();
    }

    /// <summary>Creates every directory and symlink, and every file at its final size, so chunks can land in any order.</summary>
    private void CreateLayout()
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
    private async Task KeepMatchingAsync(CancellationToken ct)
    {
        var wanted = backup.Files.ToDictionary(PathOf, f => f, StringComparer.Ordinal);
        foreach (var root in target.Roots.Where(Directory.Exists))
            RemoveUnwanted(new DirectoryInfo(root), wanted);
        await Parallel.ForEachAsync(backup.Files.Where(f => f.Type == BackupFileType.File && File.Exists(PathOf(f)) && new FileInfo(PathOf(f)).Length == f.Size),
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct }, async (entry, token) =>
            {
                if (await Sha256Async(PathOf(entry), token).ConfigureAwait(false) == entry.Sha256)
                    lock (_kept) _kept.Add(entry);
            }).ConfigureAwait(false);
    }

    /// <summary>Walks without following symbolic links: a link into a tablespace must never lead the cleanup there.</summary>
    private void RemoveUnwanted(DirectoryInfo dir, Dictionary<string, BackupFile> wanted)
    {
        foreach (var entry in dir.EnumerateFileSystemInfos())
        {
            if (target.IsOwnFile(entry.FullName)) continue; // this restore's own mark: it goes last
            var type = entry.LinkTarget is not null ? BackupFileType.SymbolicLink
                : entry is DirectoryInfo ? BackupFileType.Directory : BackupFileType.File;
            var inPgWal = entry.FullName.Contains("/pg_wal/", StringComparison.Ordinal);
            if (wanted.TryGetValue(entry.FullName, out var expected) && expected.Type == type && !inPgWal)
            {
                if (type == BackupFileType.Directory) RemoveUnwanted((DirectoryInfo)entry, wanted);
                continue;
            }
            if (entry is DirectoryInfo { LinkTarget: null } d) d.Delete(recursive: true);
            else entry.Delete();
        }
    }

    /// <summary>Fills the files from the packs, then re-reads the files whose chunks were not checked as written (PostgreSQL's manifest is not needed).</summary>
    public async Task WriteAsync(string postgresManifest, CancellationToken ct)
    {
        _download = new PackDownload(repository, backup, this);
        await _download.RunAsync(ct).ConfigureAwait(false);
        await VerifyAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Re-reads each written file of an older backup, whose chunks have no SHA-256, and compares the file's with the manifest, in parallel.</summary>
    private Task VerifyAsync(CancellationToken ct) =>
        Parallel.ForEachAsync(backup.Files.Where(f => NeedsContent(f) && f.Chunks.Any(c => c.PlainSha256 is null)), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct }, async (entry, token) =>
        {
            var sha256 = await Sha256Async(PathOf(entry), token).ConfigureAwait(false);
            if (sha256 != entry.Sha256)
                throw new RepositoryException($"restored file {entry.Path} has SHA-256 {sha256}, the backup recorded {entry.Sha256}: backup {backup.Id} is damaged; run `pgbackup verify {backup.Id}`");
        });

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
}
