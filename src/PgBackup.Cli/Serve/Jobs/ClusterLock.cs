using Hangfire;
using Hangfire.Storage;

namespace PgBackup.Cli.Serve.Jobs;

/// <summary>
/// Hangfire's distributed lock on the job storage: held for the whole run, it keeps two runs of
/// one job for one cluster apart even across `serve` instances sharing the storage.
/// </summary>
internal static class ClusterLock
{
    /// <summary>Long enough to ride out a race between two triggers, short enough not to pile up runs.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    /// <exception cref="RunSkippedException">Another run holds the lock past <see cref="Wait"/>.</exception>
    public static IDisposable Acquire(JobStorage storage, string kind, string cluster)
    {
        var resource = ScheduledJob.LockFor(kind, cluster);
        // Our own connection: the lock lives as long as the connection that took it.
        var connection = storage.GetConnection();
        try
        {
            var held = connection.AcquireDistributedLock(resource, Wait);
            return new Held(connection, held);
        }
        catch (DistributedLockTimeoutException)
        {
            connection.Dispose();
            throw new RunSkippedException($"skipped: another {kind} of cluster '{cluster}' is running (lock {resource} held for over {Wait.TotalSeconds:0}s); the next scheduled run will try again");
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private sealed class Held(IStorageConnection connection, IDisposable distributedLock) : IDisposable
    {
        public void Dispose()
        {
            distributedLock.Dispose();
            connection.Dispose();
        }
    }
}
