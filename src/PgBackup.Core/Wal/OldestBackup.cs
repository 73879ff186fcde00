using System.Text.Json;
using PgBackup.Errors;
using PgBackup.Postgres;
using PgBackup.Repository;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Storage;

namespace PgBackup.Wal;

/// <summary>Where WAL must be continuous from: the oldest complete backup's start (only manifest.json marks a backup complete).</summary>
public sealed record BackupStart(string BackupId, uint Timeline, Lsn StartLsn)
{
    /// <summary>The oldest backup, or null when the repository has none. Backup ids sort by time.</summary>
    public static async Task<BackupStart?> FindOldestAsync(BackupRepository repository, CancellationToken ct)
    {
        string? oldest = null;
        await foreach (var o in repository.Store.ListAsync(repository.Layout.BackupsPrefix, ct).ConfigureAwait(false))
            if (repository.Layout.TryParseBackupManifest(o.Key, out var id) && (oldest is null || string.CompareOrdinal(id, oldest) < 0))
                oldest = id;
        if (oldest is null)
            return null;
        var key = repository.Layout.BackupManifest(oldest);
        try
        {
            return await repository.Store.ReadDocumentAsync(key, repository.Codec, DocumentKind.BackupManifest, async (stream, t) =>
            {
                using var json = await JsonDocument.ParseAsync(stream, cancellationToken: t).ConfigureAwait(false);
                // Only the two fields this needs: the manifest's full shape belongs to the backup code.
                var root = json.RootElement;
                return new BackupStart(oldest, root.GetProperty("timeline").GetUInt32(), Lsn.Parse(root.GetProperty("startLsn").GetString()!));
            }, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
        {
            throw new RepositoryException($"'{key}' in {repository.Store.Describe} is not a readable backup manifest ({e.Message}): repair or expire that backup", e);
        }
    }
}
