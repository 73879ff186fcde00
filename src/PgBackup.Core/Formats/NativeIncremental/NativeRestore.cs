using PgBackup.Errors;
using PgBackup.Formats.ClientChunks;
using PgBackup.Postgres;
using PgBackup.Repository;
using PgBackup.Repository.Catalog;
using PgBackup.Repository.Packs;
using PgBackup.Restore;

namespace PgBackup.Formats.NativeIncremental;

/// <summary>
/// Restores a native incremental as pg_combinebackup would, without it: the whole files (and the
/// layout) as any client-chunks backup, then every INCREMENTAL.* file rebuilt into its relation file
/// from the chain (<see cref="IncrementalReconstruction"/>), several files at once, each written
/// front to back. Every chunk read is checked against its SHA-256 before a byte of it lands, and
/// each rebuilt file has exactly the length PostgreSQL's rules give it. The backup_label loses its
/// INCREMENTAL FROM lines, which make PostgreSQL refuse to start from a backup that was not combined.
/// </summary>
/// <remarks>
/// Memory: per worker (one per core), one decoded chunk per version of the file being rebuilt and
/// its block map (at most 1.5 MiB for a 1 GiB segment) — flat in the size of the database.
/// </remarks>
internal sealed class NativeRestore : IContentRestore
{
    private const string BackupLabel = "backup_label";

    private readonly BackupRepository _repository;
    private readonly BackupManifest _backup;
    private readonly IRestoreDestination _target;
    private readonly ChunkRestore _whole;
    private readonly IReadOnlyList<BackupFile> _incremental;
    private NativeChain? _chain;
    private long _bytesWritten;

    public NativeRestore(BackupRepository repository, BackupManifest backup, IRestoreDestination target, bool delta)
    {
        // --delta keeps files whose SHA-256 matches; a rebuilt file's is known only once it is rebuilt.
        if (delta)
            throw new UsageException($"backup {backup.Id} is a PostgreSQL native incremental, which --delta cannot restore yet (its rebuilt files have no recorded checksum to compare with): restore it into an empty directory without --delta");
        _repository = repository;
        _backup = backup;
        _target = target;
        _incremental = backup.Files.Where(IsIncremental).ToList();
        _whole = new ChunkRestore(repository, backup with { Files = backup.Files.Where(f => !IsIncremental(f)).ToList() }, target, delta: false);
    }

    public long BytesWritten => _whole.BytesWritten + Interlocked.Read(ref _bytesWritten);

    /// <summary>As the whole files' chunks land in any order, all files are flushed once, at the end.</summary>
    public bool FlushesFiles => false;

    public int FilesKept => 0;

    public async Task PrepareAsync(CancellationToken ct)
    {
        _chain = await NativeChain.LoadAsync(_repository, _backup, ct).ConfigureAwait(false);
        await _whole.PrepareAsync(ct).ConfigureAwait(false);
    }

    public async Task WriteAsync(string postgresManifest, CancellationToken ct)
    {
        await _whole.WriteAsync(postgresManifest, ct).ConfigureAwait(false);
        await Parallel.ForEachAsync(_incremental, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct },
            (file, token) => new ValueTask(RebuildAsync(file, token))).ConfigureAwait(false);
        StripIncrementalFrom(_target.PathOf(null, BackupLabel));
        // PostgreSQL's manifest of an incremental lists the INCREMENTAL files, not the rebuilt ones:
        // pg_verifybackup would fail on it, so none is left (pg_combinebackup writes a new one).
        File.Delete(postgresManifest);
    }

    public void ApplyMetadata()
    {
        foreach (var file in _incremental)
        {
            var path = RebuiltPath(file);
            File.SetUnixFileMode(path, (UnixFileMode)file.Mode);
            File.SetLastWriteTimeUtc(path, file.ModifiedTime.UtcDateTime);
        }
        _whole.ApplyMetadata(); // directories last, as it does
    }

    private async Task RebuildAsync(BackupFile incremental, CancellationToken ct)
    {
        using var reader = new ChunkReader(_repository.Store, _repository.Codec);
        var sources = new List<StoredFileReader>();
        try
        {
            IncrementalReconstruction? plan = null;
            foreach (var version in _chain!.VersionsOf(incremental))
            {
                var source = new StoredFileReader(_repository, version, reader);
                sources.Add(source);
                if (!version.IsIncremental)
                {
                    plan!.AddFull(version.File.Size);
                    break;
                }
                var header = await ReadHeaderAsync(source, ct).ConfigureAwait(false);
                if (plan is null) plan = new IncrementalReconstruction(header);
                else plan.AddIncremental(header);
            }
            var path = RebuiltPath(incremental);
            using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.None, FileOptions.Asynchronous, plan!.FileLength);
            await plan.WriteAsync(
                (source, offset, block, token) => sources[source].ReadAsync(offset, block, token),
                async (run, offset, token) =>
                {
                    await RandomAccess.WriteAsync(handle, run, offset, token).ConfigureAwait(false);
                    Interlocked.Add(ref _bytesWritten, run.Length);
                }, ct).ConfigureAwait(false);
        }
        finally
        {
            foreach (var source in sources) source.Dispose();
        }
    }

    private static async Task<IncrementalFileHeader> ReadHeaderAsync(StoredFileReader source, CancellationToken ct)
    {
        var file = source.Version.File;
        var start = new byte[Math.Min(file.Size, IncrementalFileHeader.MaxLength)];
        await source.ReadAsync(0, start, ct).ConfigureAwait(false);
        try
        {
            return IncrementalFileHeader.Parse(start, file.Size);
        }
        catch (IncrementalFileFormatException e)
        {
            // Its chunks matched their SHA-256, so it is stored as the source sent it: the source sent something we cannot read.
            throw new RepositoryException($"{file.Path} of backup {source.Version.Backup.Id} is not an incremental file PgBackup can read: {e.Message}");
        }
    }

    /// <summary>
    /// Drops the INCREMENTAL FROM LSN/TLI lines, as pg_combinebackup does: with them PostgreSQL
    /// refuses to start ("this is an incremental backup, not a data directory").
    /// </summary>
    private static void StripIncrementalFrom(string path)
    {
        var kept = File.ReadAllLines(path).Where(l => !l.StartsWith("INCREMENTAL FROM ", StringComparison.Ordinal));
        RestoreCompletion.WriteDurably(path, string.Concat(kept.Select(l => l + "\n")));
    }

    private string RebuiltPath(BackupFile incremental) =>
        _target.PathOf(incremental.Tablespace, IncrementalFileHeader.ReconstructedPath(incremental.Path));

    private static bool IsIncremental(BackupFile file) =>
        file.Type == BackupFileType.File && IncrementalFileHeader.IsIncrementalPath(file.Path);
}
