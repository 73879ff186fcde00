using System.Collections.Concurrent;
using System.Security.Cryptography;
using PgBackup.Errors;
using PgBackup.Repository.Catalog;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Packs;
using PgBackup.Repository;

namespace PgBackup.Formats.ClientChunks;

/// <summary>
/// Verify for a client-chunks backup: decodes every chunk in file order (each frame checks its own
/// zstd checksum) and compares each file's length and SHA-256 with the manifest, in parallel across
/// files, one reader and one chunk buffer per worker. A chunk with a recorded plain SHA-256 is also
/// checked against it, and a chunk the run already proved that way (one of an earlier backup of the
/// chain) is not read again; the file's own SHA-256 is then left to its chunks'.
/// </summary>
/// <remarks>
/// Chunks of one file are spread over packs in whatever order the compression workers finished, so
/// this reads chunk by chunk rather than pack by pack: hashing files in order from whole-pack reads
/// would mean holding chunks back — memory that grows with the file.
/// </remarks>
internal sealed class ChunkCheck(BackupRepository repository, BackupManifest backup, IContentFindings findings)
{
    public async Task RunAsync(CancellationToken ct)
    {
        var readers = new ConcurrentBag<(ChunkReader Reader, byte[] Plain)>();
        try
        {
            // Reads wait on storage as much as on the CPU: a few more workers than cores.
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2, CancellationToken = ct };
            await Parallel.ForEachAsync(backup.Files.Where(f => f.Type == BackupFileType.File), parallel, async (file, token) =>
            {
                if (!readers.TryTake(out var worker)) worker = (new ChunkReader(repository.Store, repository.Codec), new byte[backup.ChunkSize]);
                try
                {
                    await CheckFileAsync(file, worker.Reader, worker.Plain, token).ConfigureAwait(false);
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

    private async Task CheckFileAsync(BackupFile file, ChunkReader reader, byte[] plain, CancellationToken ct)
    {
        var name = $"{file.Path}{(file.Tablespace is { } oid ? $" (tablespace {oid})" : "")} of backup {backup.Id}";
        var manifestKey = repository.Layout.BackupManifest(backup.Id);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long length = 0;
        var skipped = false;
        foreach (var chunk in file.Chunks)
        {
            if (chunk.Pack < 0 || chunk.Pack >= backup.Packs.Count || chunk.PlainLength > plain.Length)
            {
                findings.Fault(name, $"the manifest points a chunk at pack {chunk.Pack} with {chunk.PlainLength} bytes, which this backup does not have: the manifest is damaged");
                return;
            }
            var key = BackupObjects.PackKey(repository, backup, backup.Packs[chunk.Pack]);
            var proof = $"{key} at {chunk.Offset} with SHA-256 {chunk.PlainSha256}";
            if (chunk.PlainSha256 is not null && findings.WasProven(proof))
            {
                skipped = true;
                length += chunk.PlainLength;
                continue;
            }
            var recordWrong = false;
            var read = await findings.GuardedAsync(key, async () =>
            {
                try
                {
                    await reader.ReadAsync(new ChunkRef(key, chunk.Offset, chunk.StoredLength, chunk.PlainLength), plain, ct).ConfigureAwait(false);
                }
                catch (RepositoryException e) when (e.InnerException is ChunkLengthMismatchException)
                {
                    // The frame proved itself intact with its own checksum: the manifest's record of it is what is wrong.
                    findings.Fault(manifestKey, $"{name}: {e.Message}");
                    recordWrong = true;
                }
                findings.Read(chunk.StoredLength);
            }).ConfigureAwait(false);
            if (!read || recordWrong) return; // The fault is named; the file's checksum cannot be computed.
            if (chunk.PlainSha256 is not null)
            {
                var chunkHash = Convert.ToHexStringLower(SHA256.HashData(plain.AsSpan(0, chunk.PlainLength)));
                if (chunkHash != chunk.PlainSha256)
                {
                    // The frame decoded with its own checksum holding: the manifest's record of it is what is wrong.
                    findings.Fault(manifestKey, $"{name}: its intact chunk at {length} has SHA-256 {chunkHash}, the manifest recorded {chunk.PlainSha256}: manifest.json is damaged");
                    return;
                }
                findings.Proven(proof);
            }
            sha.AppendData(plain, 0, chunk.PlainLength);
            length += chunk.PlainLength;
        }
        var hash = Convert.ToHexStringLower(sha.GetCurrentHash());
        // Every chunk decoded with its own zstd checksum holding, so the chunks are intact: a disagreement is manifest.json's.
        if (length != file.Size)
            findings.Fault(manifestKey, $"{name}: its chunks hold {length} bytes, the manifest says the file has {file.Size}: manifest.json is damaged");
        else if (!skipped && hash != file.Sha256)
            findings.Fault(manifestKey, $"{name}: its intact chunks have SHA-256 {hash}, the manifest recorded {file.Sha256}: manifest.json is damaged");
    }
}
