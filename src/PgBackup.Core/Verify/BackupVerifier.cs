using System.Diagnostics;
using System.Security.Cryptography;
using PgBackup.Formats;
using PgBackup.Repository.Catalog;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Packs;
using PgBackup.Repository.Storage;
using PgBackup.Repository;

namespace PgBackup.Verify;

/// <summary>
/// `pgbackup verify` for one backup: re-reads every object it consists of and the archived WAL its
/// point-in-time window needs, and names every object that is missing, damaged or disagrees with
/// the manifest. Streams everything: memory holds one chunk per worker, whatever the backup size.
/// </summary>
/// <remarks>
/// Packs are read twice: once whole here, to check the stored bytes against the SHA-256 the manifest
/// recorded (parallel across packs), and once by the backup's format, which decodes its data and
/// checks every file (<see cref="IBackupFormat.CheckAsync"/>).
/// </remarks>
/// <param name="proven">What the run proved intact so far: packs, chunks and WAL that several of its backups share are read once.</param>
internal sealed class BackupVerifier(BackupRepository repository, ProvenObjects proven)
{
    private readonly Findings _findings = new(proven);
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
        await Guarded(repository.Layout.BackupManifest(backup.Id), () => BackupFormats.Of(backup).CheckAsync(repository, backup, _findings, ct)).ConfigureAwait(false);
        await System.Threading.Tasks.Parallel.ForEachAsync(backup.Wal.Prepend(backup.PostgresManifest), Parallel(ct),
            (obj, token) => CheckEncodedAsync(backup, obj, token)).ConfigureAwait(false);
        var wal = await new WalWindowCheck(repository, _findings).RunAsync(backup, ct).ConfigureAwait(false);
        return new VerifyReport(backup.Id, backup.Packs.Count, backup.Files.Count(f => f.Type == BackupFileType.File), backup.Wal.Count,
            wal.Segments, wal.To?.ToString(), _findings.BytesRead, clock.Elapsed, _findings.Faults, _findings.Unchecked);
    }

    private void Fault(string obj, string problem) => _findings.Fault(obj, problem);

    private void AddBytesRead(long bytes) => _findings.Read(bytes);

    private async ValueTask CheckPackAsync(BackupManifest backup, StoredObject pack, CancellationToken ct)
    {
        var key = BackupObjects.PackKey(repository, backup, pack);
        if (_findings.WasProven(key)) return;
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
            else
                _findings.Proven(key);
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
