using System.Formats.Tar;
using System.IO.Pipelines;
using ZstdSharp;
using PgBackup.Errors;
using PgBackup.IO;
using PgBackup.Postgres;
using PgBackup.Repository.Catalog;
using PgBackup.Repository.Packs;
using PgBackup.Repository;

namespace PgBackup.Formats.ServerArchives;

/// <summary>
/// Restores a server-compressed backup: each archive's pieces are read in order, decompressed on
/// one thread and untarred on another (a pipe between them keeps both cores busy), and every file
/// is checked against PostgreSQL's own backup_manifest (size and CRC-32C) as it is written — no
/// second read of the data. Each file is flushed and closed in the background as it is finished
/// (<see cref="FsyncQueue"/>), never opened again for that.
/// </summary>
internal sealed class ArchiveUntar(BackupRepository repository, BackupManifest backup, IRestoreDestination target) : IContentRestore
{
    private const int CopyBuffer = 1 << 20;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, PostgresManifestFile> _expected = new Dictionary<string, PostgresManifestFile>();
    private long _bytesWritten;

    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    public bool FlushesFiles => true;

    /// <summary>Nothing is kept: without per-file checksums of our own there is no --delta (the format refuses it).</summary>
    public int FilesKept => 0;

    /// <summary>The tar archives carry every directory: only the roots are made up front.</summary>
    public Task PrepareAsync(CancellationToken ct)
    {
        foreach (var dir in target.Roots)
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return Task.CompletedTask;
    }

    /// <summary>Modes and times are set as each entry is untarred.</summary>
    public void ApplyMetadata()
    {
    }

    public async Task WriteAsync(string postgresManifest, CancellationToken ct)
    {
        var expected = _expected = await PostgresManifestIndex.LoadAsync(postgresManifest, ct).ConfigureAwait(false);
        using (var flushes = new FsyncQueue(workers: Environment.ProcessorCount * 4, capacity: 256))
        {
            await Task.WhenAll(backup.Archives.Select(a => RestoreArchiveAsync(a, flushes, ct))).ConfigureAwait(false);
            flushes.Complete();
        }
        var missing = expected.Keys.Where(p => !_seen.Contains(p) && p != "backup_manifest").Take(3).ToList();
        if (missing.Count > 0)
            throw new RepositoryException($"backup {backup.Id} lacks {string.Join(", ", missing)} that its backup_manifest lists: the backup is damaged; run `pgbackup verify {backup.Id}`");
    }

    private async Task RestoreArchiveAsync(BackupArchive archive, FsyncQueue flushes, CancellationToken ct)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 16 << 20, resumeWriterThreshold: 8 << 20));
        var decompress = Task.Run(async () =>
        {
            try
            {
                await using var pieces = new PieceStream(repository, backup, archive.Pieces);
                await using var zstd = new DecompressionStream(pieces, leaveOpen: true);
                await zstd.CopyToAsync(pipe.Writer.AsStream(leaveOpen: true), CopyBuffer, ct).ConfigureAwait(false);
                await pipe.Writer.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                await pipe.Writer.CompleteAsync(e).ConfigureAwait(false);
                throw;
            }
        }, CancellationToken.None);
        try
        {
            await UntarAsync(pipe.Reader.AsStream(), archive, flushes, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidDataException or ZstdException or EndOfStreamException)
        {
            throw new RepositoryException($"archive {archive.Name} of backup {backup.Id} does not decompress/untar ({e.Message}): a stored piece is damaged; run `pgbackup verify {backup.Id}`", e);
        }
        finally
        {
            await pipe.Reader.CompleteAsync().ConfigureAwait(false);
        }
        await decompress.ConfigureAwait(false);
    }

    private async Task UntarAsync(Stream tar, BackupArchive archive, FsyncQueue flushes, CancellationToken ct)
    {
        var directories = new List<(string Path, TarEntry Entry)>();
        // The tar lists each directory before what it holds: a file's directory is made once, not per file.
        var made = target.Roots.ToHashSet(StringComparer.Ordinal);
        var buffer = new byte[CopyBuffer];
        await using var reader = new TarReader(tar, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
        {
            var relative = entry.Name.TrimEnd('/');
            var path = target.PathOf(archive.Tablespace, relative);
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    Directory.CreateDirectory(path);
                    made.Add(path);
                    directories.Add((path, entry));
                    break;
                case TarEntryType.SymbolicLink:
                    File.CreateSymbolicLink(path, entry.LinkName);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                    var manifestPath = archive.Tablespace is { } oid ? $"pg_tblspc/{oid}/{relative}" : relative;
                    if (made.Add(Path.GetDirectoryName(path)!))
                        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    await WriteFileAsync(path, entry, manifestPath, buffer, flushes, ct).ConfigureAwait(false);
                    break;
                default:
                    throw new InvalidDataException($"unexpected tar entry type {entry.EntryType} for '{relative}'");
            }
        }
        // Writing into a directory touches its mtime: set directories last, deepest first.
        foreach (var (path, entry) in directories.OrderByDescending(d => d.Path.Length))
        {
            File.SetUnixFileMode(path, entry.Mode);
            Directory.SetLastWriteTimeUtc(path, entry.ModificationTime.UtcDateTime);
        }
    }

    private async Task WriteFileAsync(string path, TarEntry entry, string manifestPath, byte[] buffer, FsyncQueue flushes, CancellationToken ct)
    {
        var crc = new Crc32C();
        long size = 0;
        // CreateNew: the target was empty, so a second entry of one name is a damaged archive, never an overwrite.
        var file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        try
        {
            var data = entry.DataStream ?? Stream.Null;
            int read;
            while ((read = await data.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                crc.Append(buffer.AsSpan(0, read));
                RandomAccess.Write(file, buffer.AsSpan(0, read), size);
                size += read;
            }
            // Through the open handle: no second path lookup, and the flush that follows makes them durable too.
            File.SetUnixFileMode(file, entry.Mode);
            File.SetLastWriteTimeUtc(file, entry.ModificationTime.UtcDateTime);
        }
        catch
        {
            file.Dispose();
            throw;
        }
        flushes.FlushAndClose(file, ct);
        Interlocked.Add(ref _bytesWritten, size);
        lock (_seen) _seen.Add(manifestPath);
        if (!_expected.TryGetValue(manifestPath, out var want))
            throw new RepositoryException($"backup {backup.Id} holds {manifestPath}, which its backup_manifest does not list: the backup is damaged");
        if (want.Size != size || (want.ChecksumAlgorithm == "CRC32C" && want.Checksum != crc.ToManifestHex()))
            throw new RepositoryException($"restored file {manifestPath} ({size} bytes, CRC-32C {crc.ToManifestHex()}) does not match backup_manifest ({want.Size} bytes, {want.ChecksumAlgorithm} {want.Checksum}): backup {backup.Id} is damaged; run `pgbackup verify {backup.Id}`");
    }
}
