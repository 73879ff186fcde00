using System.Diagnostics;
using System.Text.Json;
using PgBackup.Repository;
using PgBackup.Repository.Codecs;

namespace PgBackup.Repository.Catalog;

/// <summary>
/// lease.json of a running backup: who runs it and when it last showed signs of life. A later run
/// uses it to tell a live backup (leave it alone) from the debris of a dead one (remove it).
/// </summary>
/// <param name="DependsOn">For a running incremental: the backups it reuses blocks of, which expire must keep.</param>
public sealed record BackupLease(string Host, int ProcessId, DateTimeOffset ProcessStart, DateTimeOffset Heartbeat, IReadOnlyList<string>? DependsOn = null)
{
    /// <summary>How long a lease stays valid without a heartbeat, for backups run from another host.</summary>
    public static readonly TimeSpan Expiry = TimeSpan.FromMinutes(10);

    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMinutes(1);

    public static BackupLease ForThisProcess(IReadOnlyList<string>? dependsOn = null)
    {
        using var self = Process.GetCurrentProcess();
        return new BackupLease(Environment.MachineName, Environment.ProcessId, self.StartTime.ToUniversalTime(), DateTimeOffset.UtcNow, dependsOn is { Count: > 0 } ? dependsOn : null);
    }

    /// <summary>
    /// Dead when its process is gone (same host: checked directly, so a killed backup is cleaned
    /// up by the very next run) or when its heartbeat is older than <see cref="Expiry"/>.
    /// </summary>
    public bool IsDead(DateTimeOffset now)
    {
        if (now - Heartbeat > Expiry) return true;
        if (Host != Environment.MachineName) return false;
        try
        {
            using var p = Process.GetProcessById(ProcessId);
            return Math.Abs((p.StartTime.ToUniversalTime() - ProcessStart.UtcDateTime).TotalSeconds) > 1 || IsZombie(ProcessId);
        }
        catch (ArgumentException)
        {
            return true;
        }
    }

    /// <summary>
    /// A killed process stays listed until its parent reaps it (state Z in /proc/PID/stat, after the
    /// parenthesised command name); it will never write again, so its backup is dead.
    /// </summary>
    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var afterName = stat.LastIndexOf(')');
            return afterName > 0 && afterName + 2 < stat.Length && stat[afterName + 2] == 'Z';
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    public Task WriteAsync(BackupRepository repository, string backupId, CancellationToken ct) =>
        repository.Store.PutDocumentAsync(repository.Layout.BackupLease(backupId), repository.Codec, DocumentKind.BackupLease, JsonSerializer.SerializeToUtf8Bytes(this, BackupManifestJson.Default.BackupLease), ct);

    /// <summary>The backup's lease, or null if it has none or it is damaged: a damaged lease tells nothing, so the age rule decides (verify names it).</summary>
    public static async Task<BackupLease?> ReadAsync(BackupRepository repository, string backupId, CancellationToken ct)
    {
        try
        {
            return (await ReadCheckedAsync(repository, backupId, ct).ConfigureAwait(false)).Lease;
        }
        catch (Exception e) when (e is Repository.Storage.ObjectNotFoundException or JsonException || e.InnerException is InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>The backup's lease, and whether its checksum vouched for it (false: written by an older version).</summary>
    /// <exception cref="Repository.Storage.ObjectNotFoundException">The backup has no lease.</exception>
    /// <exception cref="Errors.RepositoryException">The lease fails its checksum or does not decode.</exception>
    /// <exception cref="JsonException">The lease is not a lease document.</exception>
    public static Task<(BackupLease Lease, bool Checksummed)> ReadCheckedAsync(BackupRepository repository, string backupId, CancellationToken ct) =>
        repository.Store.ReadCheckedDocumentAsync(repository.Layout.BackupLease(backupId), repository.Codec, DocumentKind.BackupLease,
            content => JsonSerializer.Deserialize(content.Span, BackupManifestJson.Default.BackupLease) ?? throw new JsonException("the lease is null"), ct);
}
