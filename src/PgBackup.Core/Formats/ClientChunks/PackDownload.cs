using System.Security.Cryptography;
using PgBackup.Errors;
using PgBackup.Repository.Catalog;
using PgBackup.Repository.Packs;
using PgBackup.Repository;

namespace PgBackup.Formats.ClientChunks;

/// <summary>
/// Fills restored files from the backup's packs: every pack is read front to back with one GET,
/// several packs at once, and each decoded chunk is written at its offset in its file — after its
/// SHA-256 is checked against the manifest's, where the manifest records one, so that what lands
/// is proven as it is written and need not be read again.
/// </summary>
internal sealed class PackDownload(BackupRepository repository, BackupManifest backup, ChunkRestore files)
{
    private long _bytesWritten;

    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    public Task RunAsync(CancellationToken ct)
    {
        var byPack = backup.Files
            .Where(files.NeedsContent)
            .SelectMany(f => f.Chunks.Select((c, i) => (Chunk: c, File: f, Path: files.PathOf(f), FileOffset: (long)i * backup.ChunkSize)))
            .GroupBy(x => x.Chunk.Pack);
        // Downloads wait on the network and decoding is cheap: a few more readers than cores.
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2, CancellationToken = ct };
        return Parallel.ForEachAsync(byPack, parallel, async (pack, token) =>
        {
            var key = BackupObjects.PackKey(repository, backup, backup.Packs[pack.Key]);
            var destinations = pack.ToDictionary(x => x.Chunk.Offset, x => (x.Chunk, x.File, x.Path, x.FileOffset));
            using var reader = new ChunkReader(repository.Store, repository.Codec);
            var refs = pack.Select(x => new ChunkRef(key, x.Chunk.Offset, x.Chunk.StoredLength, x.Chunk.PlainLength));
            await foreach (var decoded in reader.ReadPackAsync(key, refs, token).ConfigureAwait(false))
            {
                var (chunk, file, path, offset) = destinations[decoded.Chunk.Offset];
                if (chunk.PlainSha256 is { } expected && Convert.ToHexStringLower(SHA256.HashData(decoded.Plain.Span)) is var sha256 && sha256 != expected)
                    throw new RepositoryException($"the chunk at {offset} of restored file {file.Path} has SHA-256 {sha256}, the backup recorded {expected}: backup {backup.Id} is damaged; run `pgbackup verify {backup.Id}`");
                using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, FileOptions.Asynchronous, 0);
                await RandomAccess.WriteAsync(handle, decoded.Plain, offset, token).ConfigureAwait(false);
                Interlocked.Add(ref _bytesWritten, decoded.Plain.Length);
            }
        });
    }
}
