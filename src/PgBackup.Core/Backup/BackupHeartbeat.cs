using PgBackup.Repository.Catalog;
using PgBackup.Repository;

namespace PgBackup.Backup;

/// <summary>
/// lease.json of a running backup, rewritten every <see cref="BackupLease.HeartbeatInterval"/> so
/// other runs see it alive; a lease whose heartbeat stops marks debris the next backup removes.
/// </summary>
internal sealed class BackupHeartbeat : IAsyncDisposable
{
    private readonly BackupRepository _repository;
    private readonly string _id;
    private readonly CancellationTokenSource _running;
    private readonly Task _beating;

    private BackupHeartbeat(BackupRepository repository, string id, BackupLease lease, CancellationToken ct)
    {
        _repository = repository;
        _id = id;
        _running = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _beating = BeatAsync(lease, _running.Token);
    }

    /// <param name="dependsOn">The earlier backups an incremental reuses blocks of: expire keeps them while the lease lives.</param>
    public static async Task<BackupHeartbeat> StartAsync(BackupRepository repository, string id, IReadOnlyList<string> dependsOn, CancellationToken ct)
    {
        var lease = BackupLease.ForThisProcess(dependsOn);
        await lease.WriteAsync(repository, id, ct).ConfigureAwait(false);
        return new BackupHeartbeat(repository, id, lease, ct);
    }

    /// <summary>Stops rewriting the lease (before the manifest is written, so no late heartbeat follows it).</summary>
    public async Task StopAsync()
    {
        await _running.CancelAsync().ConfigureAwait(false);
        await _beating.ConfigureAwait(false);
    }

    /// <summary>Removes the lease of a published backup.</summary>
    public Task ReleaseAsync(CancellationToken ct) => _repository.Store.DeleteAsync(_repository.Layout.BackupLease(_id), ct);

    private async Task BeatAsync(BackupLease lease, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(BackupLease.HeartbeatInterval, ct).ConfigureAwait(false);
                await (lease with { Heartbeat = DateTimeOffset.UtcNow }).WriteAsync(_repository, _id, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _running.Dispose();
    }
}
