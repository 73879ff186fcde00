using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using PgBackup.Cli.Commands;
using PgBackup.Cli.Rendering;
using PgBackup.Cli.Serve.Archiver;
using PgBackup.Cli.Serve.Policies;
using PgBackup.Cli.Serve.Status;
using PgBackup.Cluster;
using PgBackup.Errors;
using PgBackup.Policies;

namespace PgBackup.Cli.Serve.Api;

/// <summary>The read-only JSON API and the liveness probe. Policies are shown by cluster and file, never their secrets.</summary>
internal static class ApiEndpoints
{
    public static void Map(WebApplication app)
    {
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/api/clusters", ClustersAsync);
        app.MapGet("/api/backups", BackupsAsync);
        app.MapGet("/api/backups/{cluster}", BackupsOfAsync);
        app.MapGet("/api/status", StatusAsync);
    }

    private static async Task<IResult> ClustersAsync(PolicyDirectory policies, IArchiverStatusSource archivers, ILogger<PolicyDirectory> log, CancellationToken ct)
    {
        var answers = await Task.WhenAll(policies.Current.Valid.Values.OrderBy(p => p.Cluster, StringComparer.Ordinal).Select(async policy =>
        {
            object? decision = null;
            string? error = null;
            try
            {
                decision = ClusterCommand.ToJson(policy, await new SourceSelector(policy, log).DecideAsync(new HashSet<string>(), probeEveryone: true, ct));
            }
            catch (PgBackupException e)
            {
                error = e.Message;
            }
            return new { cluster = policy.Cluster, policyFile = policy.SourceFile, decision, error, archiver = archivers.Get(policy.Cluster) };
        }));
        return Results.Json(answers);
    }

    private static async Task<IResult> BackupsAsync(PolicyDirectory policies, BackupStatusReader reader, bool? all, CancellationToken ct)
    {
        var result = new SortedDictionary<string, object>(StringComparer.Ordinal);
        foreach (var policy in policies.Current.Valid.Values)
            result[policy.Cluster] = await ListOrErrorAsync(policy, reader, all ?? false, ct);
        return Results.Json(result);
    }

    private static async Task<IResult> BackupsOfAsync(string cluster, PolicyDirectory policies, BackupStatusReader reader, bool? all, CancellationToken ct) =>
        policies.Current.Valid.GetValueOrDefault(cluster) is { } policy
            ? Results.Json(await ListOrErrorAsync(policy, reader, all ?? false, ct))
            : Results.NotFound(new { error = $"no valid policy for cluster '{cluster}'" });

    /// <summary>Exactly what `pgbackup list --json [--all]` prints, or the reason the repository could not be read.</summary>
    private static async Task<object> ListOrErrorAsync(Policy policy, BackupStatusReader reader, bool all, CancellationToken ct)
    {
        try
        {
            return BackupSummary.Rows(await reader.EntriesAsync(policy, ct), all);
        }
        catch (PgBackupException e)
        {
            return new { error = e.Message };
        }
    }

    private static async Task<IResult> StatusAsync(StatusCollector collector, PolicyDirectory policies, CancellationToken ct)
    {
        var clusters = await collector.CollectAsync(ct);
        return Results.Json(new
        {
            policyDirectory = policies.Path,
            policyErrors = policies.Current.Errors.Select(e => new { file = e.File, reason = e.Reason }),
            clusters = clusters.Select(c => new
            {
                cluster = c.Cluster,
                completeBackups = c.CompleteBackups,
                backupRunning = c.BackupRunning,
                lastBackup = c.LastBackup is { } m ? BackupSummary.Of(m) : null,
                lastBackupAgeSeconds = c.LastBackupAgeSeconds,
                recoverableWindow = new { start = c.WindowStart, end = c.WindowEnd, endsAt = c.Archiver?.NewestArchivedWalTime is null ? "newest backup end (no WAL archiver)" : "newest archived WAL" },
                archiver = c.Archiver,
                archiverLagBytes = c.Archiver?.LagBytes,
                archiverLagSeconds = c.Archiver?.LagSeconds,
                repositoryError = c.RepositoryError,
            }),
        });
    }
}
