using System.Globalization;
using Hangfire;

namespace PgBackup.Cli.Serve.Archiver;

/// <summary>
/// One archiver per cluster across every `serve` instance that shares a job storage: a lease per
/// cluster in Hangfire's storage (a hash of holder and expiry), read and written under Hangfire's
/// distributed lock. It lives in the job storage rather than the repository because the storage is
/// what the instances already share and it is transactional; object stores such as s3rver offer no
/// conditional write to build a lease on. Expiry is judged by each instance's clock: keep them in
/// NTP sync, to well within the lease timeout.
/// </summary>
internal sealed class ArchiverLease(JobStorage storage, string instance)
{
    private const string Holder = "holder";
    private const string ExpiresAt = "expiresAt";
    // The lock guards one read and one write: a holder wait this long means the storage is in trouble.
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(5);

    /// <summary>This `serve` instance, as leases and status name it.</summary>
    public string Instance => instance;

    /// <summary>Takes the cluster's lease, or renews it, for <paramref name="timeout"/>; returns the holder afterwards (<see cref="Instance"/> when taken).</summary>
    public string TryHold(string cluster, TimeSpan timeout)
    {
        using var connection = storage.GetConnection();
        using var _ = connection.AcquireDistributedLock(LockOf(cluster), LockWait);
        var lease = connection.GetAllEntriesFromHash(KeyOf(cluster));
        var now = DateTimeOffset.UtcNow;
        if (lease is not null && lease.TryGetValue(Holder, out var holder) && holder != instance
            && lease.TryGetValue(ExpiresAt, out var expires)
            && DateTimeOffset.Parse(expires, CultureInfo.InvariantCulture) > now)
            return holder;
        using var write = connection.CreateWriteTransaction();
        write.SetRangeInHash(KeyOf(cluster), [new(Holder, instance), new(ExpiresAt, (now + timeout).ToString("O", CultureInfo.InvariantCulture))]);
        write.Commit();
        return instance;
    }

    /// <summary>Gives the lease up (a clean stop), so another instance takes over at once instead of after the timeout.</summary>
    public void Release(string cluster)
    {
        using var connection = storage.GetConnection();
        using var _ = connection.AcquireDistributedLock(LockOf(cluster), LockWait);
        if (connection.GetAllEntriesFromHash(KeyOf(cluster)) is not { } lease || lease.GetValueOrDefault(Holder) != instance)
            return;
        using var write = connection.CreateWriteTransaction();
        write.RemoveHash(KeyOf(cluster));
        write.Commit();
    }

    private static string KeyOf(string cluster) => "pgbackup:archiver-lease:" + cluster;

    private static string LockOf(string cluster) => "pgbackup:archiver-lease-lock:" + cluster;
}
