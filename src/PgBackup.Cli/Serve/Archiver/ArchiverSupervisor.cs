using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PgBackup.Cli.Serve.Policies;
using PgBackup.Errors;
using PgBackup.Policies;

namespace PgBackup.Cli.Serve.Archiver;

/// <summary>
/// Runs one archiver per valid policy for as long as `serve` runs: started when a policy appears,
/// restarted with the new settings when it changes, stopped when it goes away or breaks, and
/// restarted after a crash with back-off, except after a configuration error (the repository is
/// not this policy's): that stays in its status until the policy changes.
/// </summary>
/// <param name="archive">Archives one cluster until cancelled, reporting its state as it goes (<see cref="WalArchiverAdapter.RunAsync"/>).</param>
internal sealed class ArchiverSupervisor(
    PolicyDirectory policies,
    Func<Policy, IProgress<ArchiverStatus>, CancellationToken, Task> archive,
    ArchiverStatusBoard board,
    ILogger<ArchiverSupervisor> log)
    : IHostedService
{
    private static readonly TimeSpan[] Backoff = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30)];

    private readonly Dictionary<string, (Policy Policy, CancellationTokenSource Stop, Task Run)> _running = new(StringComparer.Ordinal);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        policies.Reloaded += Apply;
        Apply(policies.Current);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        policies.Reloaded -= Apply;
        List<Task> stopping;
        lock (_running)
        {
            stopping = _running.Values.Select(r => StopOne(r.Stop, r.Run)).ToList();
            _running.Clear();
        }
        await Task.WhenAll(stopping).WaitAsync(cancellationToken);
    }

    private void Apply(PolicySet set)
    {
        lock (_running)
        {
            foreach (var (cluster, run) in _running.Where(r => set.Valid.GetValueOrDefault(r.Key) != r.Value.Policy).ToList())
            {
                log.LogInformation("Stopping the WAL archiver of cluster {Cluster}: its policy changed or is no longer valid", cluster);
                _ = StopOne(run.Stop, run.Run);
                _running.Remove(cluster);
                board.Remove(cluster);
            }
            foreach (var policy in set.Valid.Values.Where(p => !_running.ContainsKey(p.Cluster)))
            {
                var stop = new CancellationTokenSource();
                _running[policy.Cluster] = (policy, stop, Task.Run(() => SuperviseAsync(policy, stop.Token)));
            }
        }
    }

    private async Task SuperviseAsync(Policy policy, CancellationToken ct)
    {
        var status = board.For(policy.Cluster);
        for (var attempt = 0; ; attempt++)
        {
            string reason;
            try
            {
                log.LogInformation("Starting the WAL archiver of cluster {Cluster}", policy.Cluster);
                await archive(policy, status, ct);
                reason = "it returned without being stopped";
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (PgBackupException e) when (e is UsageException or RepositoryMismatchException)
            {
                log.LogError("WAL archiver of cluster {Cluster} stopped: {Reason}; it starts again when the policy changes", policy.Cluster, e.Message);
                status.Report(new ArchiverStatus(ArchiverStatus.ConfigurationError, null, null, null, null, null, e.Message, DateTimeOffset.UtcNow, LastErrorAt: DateTimeOffset.UtcNow));
                return;
            }
            catch (Exception e)
            {
                reason = e.Message.Split('\n')[0];
                log.LogError(e, "WAL archiver of cluster {Cluster} failed", policy.Cluster);
            }
            var delay = Backoff[Math.Min(attempt, Backoff.Length - 1)];
            log.LogWarning("WAL archiver of cluster {Cluster} stopped ({Reason}); restarting in {Delay}", policy.Cluster, reason, delay);
            status.Report(new ArchiverStatus(ArchiverStatus.Failed, null, null, null, null, null, reason, DateTimeOffset.UtcNow, LastErrorAt: DateTimeOffset.UtcNow));
            try { await Task.Delay(delay, ct); }
            catch (OperationCanceledException) { return; }
        }
    }

    private static async Task StopOne(CancellationTokenSource stop, Task run)
    {
        await stop.CancelAsync();
        await run;
        stop.Dispose();
    }
}
