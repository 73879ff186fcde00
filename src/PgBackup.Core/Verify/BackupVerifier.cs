using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using PgBackup.Errors;
using PgBackup.Repository;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Packs;
using PgBackup.Repository.Storage;
using PgBackup.Repository.Catalog;

namespace PgBackup.Verify;

/// <summary>
/// `pgbackup verify` for one backup: re-reads every object it consists of and the archived WAL its
/// point-in-time window needs, and names every object that is missing, damaged or disagrees with
/// the manifest. Streams everything: memory holds one chunk per worker, whatever the backup size.
/// </summary>
/// <remarks>
/// Packs are read twice: once whole, to check the stored bytes against the SHA-256 the manifest
/// recorded (parallel across packs); once chunk by chunk in file order, to decode every chunk and
/// check each file's SHA-256 (parallel across files). Chunks of one file are spread over packs in
/// whatever order the compression workers finished, so one pass could only hash files in order by
/// holding chunks back — memory that grows with the file.
/// </remarks>
public sealed class BackupVerifier(BackupRepository repository)
{
    private readonly Findings _findings = new();
    private bool _manifestChecksummed;

    private static ParallelOptions Parallel(CancellationToken ct) =>
        // Reads wait on storage as much as on the CPU: a few more workers than cores.
        new() { MaxDegreeOfParallelism = Environment.ProcessorCount * 2, CancellationToken = ct };

    /// <param name="manifestChecksummed">Whether manifest.json carried a checksum that held (false: written by an older version).</param>
    public async Task<VerifyReport> VerifyAsync(BackupManifest backup, bool manifestChecksummed, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        _manifestChecksummed = manifestChecksummed;
        if (!manifestChecksummed) _findings.NoChecksum(repository.Layout.BackupManifest(backup.Id));
        await System.Threading.Tasks.Parallel.ForEachAsync(backup.Packs, Parallel(ct), (pack, token) => CheckPackAsync(backup, pack, token)).ConfigureAwait(false);
        await CheckFilesAsync(backup, ct).ConfigureAwait(false);
        await System.Threading.Tasks.Parallel.ForEachAsync(backup.Archives, Parallel(ct), (archive, token) => CheckArchiveAsync(backup, archive, token)).ConfigureAwait(false);
        await System.Threading.Tasks.Parallel.ForEachAsync(backup.Wal.Prepend(backup.PostgresManifest), Parallel(ct),
            (obj, token) => CheckEncodedAsync(backup, obj, token)).ConfigureAwait(false);
        var wal = await new WalWindowCheck(repository, Fault, AddBytesRead, _findings.NoChecksum).RunAsync(backup, ct).ConfigureAwait(false);
        return new VerifyReport(backup.Id, backup.Packs.Count, backup.Files.Count(f => f.Type == BackupFileType.File), backup.Wal.Count,
            wal.Segments, wal.To?.ToString(), _findings.BytesRead, clock.Elapsed, _findings.Faults, _findings.Unchecked);
    }

    private void Fault(string obj, string problem) => _findings.Fault(obj, problem);

    private void AddBytesRead(long bytes) => _findings.Read(bytes);

    private async ValueTask CheckPackAsync(BackupManifest backup, StoredObject pack, CancellationToken ct)
    {
        var key = BackupObjects.Absolute(repository, backup.Id, pack.Key);
        await Guarded(key, async () =>
        {
            await using var stored = await repository.Store.OpenReadAsync(key, ct).ConfigureAwait(false);
            using var hashing = new HashingStream(stored);
            await hashing.CopyToAsync(Stream.Null, 1 << 20, ct).ConfigureAwait(false);
            AddBytesRead(hashing.BytesHashed);
            if (hashing.BytesHashed != pack.Size)
                Fault(key, $"holds {hashing.BytesHashed} bytes, the manifest recorded {pack.Size}");
            else if (hashing.Sha256 != pack.Sha256)
                Fault(key, $"stored bytes have SHA-256 {hashing.Sha256}, the manifest recorded {pack.Sha256}: " +
                    (_manifestChecksummed ? "the pack is damaged" : "the pack is damaged, or manifest.json, which has no checksum of its own (written by an older version)"));
        }).ConfigureAwait(false);
    }

    private async Task CheckFilesAsync(BackupManifest backup, CancellationToken ct)
    {
        // One reader and one chunk buffer per worker, reused from file to file.
        var readers = new ConcurrentBag<(ChunkReader Reader, byte[] Plain)>();
        try
        {
            await System.Threading.Tasks.Parallel.ForEachAsync(backup.Files.Where(f => f.Type == BackupFileType.File), Parallel(ct), async (file, token) =>
            {
                if (!readers.TryTake(out var worker)) worker = (new ChunkReader(repository.Store, repository.Codec), new byte[backup.ChunkSize]);
                try
                {
                    await CheckFileAsync(backup, file, worker.Reader, worker.Plain, token).ConfigureAwait(false);
                }
                finally
                {
                    readers.Add(worker);
                }
            }).ConfigureAwait(false);
        }
        finally
        {
            foreach (var (reader, _) in readers) reader.Dispose();
        }
    }

    private async Task CheckFileAsync(BackupManifest backup, BackupFile file, ChunkReader reader, byte[] plain, CancellationToken ct)
    {
        var name = $"{file.Path}{(file.Tablespace is { } oid ? $" (tablespace {oid})" : "")} of backup {backup.Id}";
        var manifestKey = repository.Layout.BackupManifest(backup.Id);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long length = 0;
        foreach (var chunk in file.Chunks)
        {
            if (chunk.Pack < 0 || chunk.Pack >= backup.Packs.Count || chunk.PlainLength > plain.Length)
            {
                Fault(name, $"the manifest points a chunk at pack {chunk.Pack} with {chunk.PlainLength} bytes, which this backup does not have: the manifest is damaged");
                return;
            }
            var key = BackupObjects.Absolute(repository, backup.Id, backup.Packs[chunk.Pack].Key);
            var recordWrong = false;
            var read = await Guarded(key, async () =>
            {
                try
                {
                    await reader.ReadAsync(new ChunkRef(key, chunk.Offset, chunk.StoredLength, chunk.PlainLength), plain, ct).ConfigureAwait(false);
                }
                catch (RepositoryException e) when (e.InnerException is ChunkLengthMismatchException)
                {
                    // The frame proved itself intact with its own checksum: the manifest's record of it is what is wrong.
                    Fault(manifestKey, $"{name}: {e.Message}");
                    recordWrong = true;
                }
                AddBytesRead(chunk.StoredLength);
            }).ConfigureAwait(false);
            if (!read || recordWrong) return; // The fault is named; the file's checksum cannot be computed.
            sha.AppendData(plain, 0, chunk.PlainLength);
            length += chunk.PlainLength;
        }
        var hash = Convert.ToHexStringLower(sha.GetCurrentHash());
        // Every chunk decoded with its own zstd checksum holding, so the chunks are intact: a disagreement is manifest.json's.
        if (length != file.Size)
            Fault(manifestKey, $"{name}: its chunks hold {length} bytes, the manifest says the file has {file.Size}: manifest.json is damaged");
        else if (hash != file.Sha256)
            Fault(manifestKey, $"{name}: its intact chunks have SHA-256 {hash}, the manifest recorded {file.Sha256}: manifest.json is damaged");
    }

    /// <summary>A server-compressed archive: every piece's SHA-256 (checked while reading), and the whole zstd stream decodes.</summary>
    private async ValueTask CheckArchiveAsync(BackupManifest backup, BackupArchive archive, CancellationToken ct)
    {
        var name = $"archive {archive.Name} of backup {backup.Id}";
        await Guarded(name, async () =>
        {
            try
            {
                await using var pieces = new PieceStream(repository, backup, archive.Pieces);
                await using var zstd = new ZstdSharp.DecompressionStream(pieces, leaveOpen: true);
                await zstd.CopyToAsync(Stream.Null, 1 << 20, ct).ConfigureAwait(false);
                AddBytesRead(archive.StoredSize);
            }
            catch (Exception e) when (e is ZstdSharp.ZstdException or InvalidDataException or EndOfStreamException)
            {
                throw new RepositoryException($"does not decompress ({e.Message})", e);
            }
        }).ConfigureAwait(false);
    }

    /// <summary>One of the backup's own encoded objects (its WAL, history file, PostgreSQL's manifest) against the manifest and against its own checksum trailer.</summary>
    private async ValueTask CheckEncodedAsync(BackupManifest backup, EncodedObject obj, CancellationToken ct)
    {
        var key = BackupObjects.Absolute(repository, backup.Id, obj.Key);
        await Guarded(key, async () =>
        {
            var stored = await repository.Store.HeadAsync(key, ct).ConfigureAwait(false) ?? throw new ObjectNotFoundException(key, repository.Store.Describe);
            AddBytesRead(stored.Size);
            var decoded = await repository.Store.GetDecodedAsync(key, repository.Codec, Stream.Null, ct).ConfigureAwait(false);
            var manifestKey = repository.Layout.BackupManifest(backup.Id);
            // An object whose own checksum trailer holds is intact: if the manifest disagrees with it, the manifest is the damaged side.
            if (decoded.PlainSha256 != obj.PlainSha256 && decoded.Trailer == TrailerState.Verified)
                Fault(manifestKey, $"records SHA-256 {obj.PlainSha256} for {obj.Key}, which is intact (its checksum trailer holds) with {decoded.PlainSha256}: manifest.json is damaged");
            else if (decoded.PlainSha256 != obj.PlainSha256)
                Fault(key, $"decodes to content with SHA-256 {decoded.PlainSha256}, the manifest recorded {obj.PlainSha256}");
            else if (stored.Size != obj.StoredSize)
                Fault(manifestKey, $"records {obj.StoredSize} stored bytes for {obj.Key}, which holds {stored.Size} and decodes to the recorded content: manifest.json is damaged");
        }).ConfigureAwait(false);
    }

    private Task<bool> Guarded(string key, Func<Task> check) => _findings.GuardedAsync(key, check);
}
