using PgBackup.Repository;
using PgBackup.Repository.Codecs;

namespace PgBackup.Repository.Catalog;

/// <summary>Stores whole encoded objects of a backup and describes them for the manifest.</summary>
internal static class BackupObjects
{
    public static async Task<EncodedObject> PutEncodedAsync(BackupRepository repository, string backupId, string key, Stream plain, CancellationToken ct)
    {
        var sha256 = await repository.Store.PutEncodedAsync(key, repository.Codec, plain, ct).ConfigureAwait(false);
        var stored = await repository.Store.HeadAsync(key, ct).ConfigureAwait(false);
        return new EncodedObject(Relative(repository, backupId, key), stored?.Size ?? 0, sha256);
    }

    /// <summary>Keys in the manifest are relative to the backup's prefix.</summary>
    public static string Relative(BackupRepository repository, string backupId, string key) =>
        key[repository.Layout.BackupPrefix(backupId).Length..];

    public static string Absolute(BackupRepository repository, string backupId, string relativeKey) =>
        repository.Layout.BackupPrefix(backupId) + relativeKey;

    /// <summary>The key of a pack the manifest lists, whichever backup of its chain stored it.</summary>
    public static string PackKey(BackupRepository repository, BackupManifest backup, StoredObject pack) =>
        Absolute(repository, pack.Backup ?? backup.Id, pack.Key);
}
