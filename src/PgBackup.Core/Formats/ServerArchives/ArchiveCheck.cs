using PgBackup.Errors;
using PgBackup.Repository.Catalog;
using PgBackup.Repository.Packs;
using PgBackup.Repository;

namespace PgBackup.Formats.ServerArchives;

/// <summary>
/// Verify for a server-archives backup: every piece's SHA-256 is checked as it is read, and each
/// archive's whole zstd stream must decode (the source's stream has no checksum of its own).
/// </summary>
internal static class ArchiveCheck
{
    public static Task RunAsync(BackupRepository repository, BackupManifest backup, IContentFindings findings, CancellationToken ct) =>
        Parallel.ForEachAsync(backup.Archives, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2, CancellationToken = ct },
            async (archive, token) => await findings.GuardedAsync($"archive {archive.Name} of backup {backup.Id}", async () =>
            {
                try
                {
                    await using var pieces = new PieceStream(repository, backup, archive.Pieces);
                    await using var zstd = new ZstdSharp.DecompressionStream(pieces, leaveOpen: true);
                    await zstd.CopyToAsync(Stream.Null, 1 << 20, token).ConfigureAwait(false);
                    findings.Read(archive.StoredSize);
                }
                catch (Exception e) when (e is ZstdSharp.ZstdException or InvalidDataException or EndOfStreamException)
                {
                    throw new RepositoryException($"does not decompress ({e.Message})", e);
                }
            }).ConfigureAwait(false));
}
