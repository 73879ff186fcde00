using Microsoft.Extensions.Logging;
using PgBackup.Policies;

namespace PgBackup.Cli.Serve.Archiver;

/// <summary>
/// Runs a cluster's archiver only while this instance holds its <see cref="ArchiverLease"/>:
/// renews it every third of archive.lease_timeout, stops the archiver when the lease is lost (or
/// can no longer be renewed in time, so two instances never both believe they hold it), stands by
/// while another instance holds it, and releases it when stopping or when the archiver fails.
/// </summary>
internal sealed class LeasedArchiver(ArchiverLease lease, Func<Policy, IProgress<ArchiverStatus>, CancellationToken, Task> archive, ILogger<LeasedArchiver> log)
{
    /// <summary>"standby: archived by INSTANCE": another instance holds the lease.</summary>
    public const string Standby = "standby";

    public async Task RunAsync(Policy policy, IProgress<ArchiverStatus> status, CancellationToken ct)
    {
        var cluster = policy.Cluster;
        var timeout = policy.Archive.LeaseTimeout;
        var renew = timeout / 3;
        var ours = new InstanceStatus(status, lease.Instance);
        var heldUntil = DateTimeOffset.MinValue;
        CancellationTokenSource? stop = null;
        Task? run = null;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                string? holder = null;
                var asked = DateTimeOffset.UtcNow;
                try
                {
                    holder = await Task.Run(() => lease.TryHold(cluster, timeout), ct).ConfigureAwait(false);
                    heldUntil = holder == lease.Instance ? asked + timeout : DateTimeOffset.MinValue;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogWarning("Could not renew the archiver lease of cluster {Cluster} in the job storage: {Error}", cluster, e.Message);
                }
                // Stop while a renewal is still due before the lease runs out: never two archivers.
                var held = heldUntil - DateTimeOffset.UtcNow > renew;
                if (held && run is null)
                {
                    log.LogInformation("This instance ({Instance}) holds the archiver lease of cluster {Cluster}: archiving", lease.Instance, cluster);
                    stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    run = archive(policy, ours, stop.Token);
                }
                else if (!held && run is not null)
                {
                    log.LogWarning("Lost the archiver lease of cluster {Cluster} ({Holder}): stopping its archiver here", cluster, holder ?? "the job storage does not answer");
                    await StopAsync(stop!, run).ConfigureAwait(false);
                    (stop, run) = (null, null);
                }
                if (!held)
                    status.Report(new ArchiverStatus(Standby, null, null, null, null, null, null, DateTimeOffset.UtcNow, Instance: holder));
                if (run is not null)
                {
                    await Task.WhenAny(run, Task.Delay(renew, ct)).ConfigureAwait(false);
                    if (run.IsCompleted && !ct.IsCancellationRequested)
                    {
                        // Ended on its own, failed or not: the supervisor's to report and restart (the lease is released below).
                        await run.ConfigureAwait(false);
                        return;
                    }
                }
                else
                {
                    await Task.Delay(renew, ct).ConfigureAwait(false);
                }
            }
            ct.ThrowIfCancellationRequested();
        }
        finally
        {
            if (run is not null)
                await StopAsync(stop!, run).ConfigureAwait(false);
            if (heldUntil > DateTimeOffset.UtcNow)
                Release(cluster);
        }
    }

    private static async Task StopAsync(CancellationTokenSource stop, Task run)
    {
        await stop.CancelAsync().ConfigureAwait(false);
        try { await run.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        catch (Exception) when (stop.IsCancellationRequested) { } // stopping: the lease, not this, is news
        stop.Dispose();
    }

    private void Release(string cluster)
    {
        try
        {
            lease.Release(cluster);
            log.LogInformation("Released the archiver lease of cluster {Cluster}", cluster);
        }
        catch (Exception e)
        {
            log.LogWarning("Could not release the archiver lease of cluster {Cluster} ({Error}); another instance takes over when it expires", cluster, e.Message);
        }
    }

    /// <summary>Every status this instance's archiver reports names the instance.</summary>
    private sealed class InstanceStatus(IProgress<ArchiverStatus> inner, string instance) : IProgress<ArchiverStatus>
    {
        public void Report(ArchiverStatus value) => inner.Report(value with { Instance = instance });
    }
}
