using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using PgBackup.Cli.Json;
using PgBackup.Cli.Serve.Archiver;
using PgBackup.Cli.Serve.Policies;
using PgBackup.Cli.Serve.Status;
using PgBackup.Cluster;
using PgBackup.Errors;
using PgBackup.Policies;

namespace PgBackup.Cli.Serve.Api;

/// <summary>
/// The read-only JSON API and the liveness probe. Policies are shown by cluster and file, never
/// their secrets. Every answer is a document of Json/, the same `--json` prints.
/// </summary>
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
            ClusterJson? decision = null;
            string? error = null;
            try
            {
                decision = ClusterJson.Of(policy, await new SourceSelector(policy, log).DecideAsync(new HashSet<string>(), probeEveryone: true, ct));
            }
            catch (PgBackupException e)
            {
                error = e.Message;
            }
            return new ClusterAnswerJson(policy.Cluster, policy.SourceFile, decision, error, archivers.Get(policy.Cluster));
        }));
        return Results.Json<IReadOnlyList<ClusterAnswerJson>>(answers, PgBackupJson.Default.IReadOnlyListClusterAnswerJson);
    }

    private static async Task<IResult> BackupsAsync(PolicyDirectory policies, BackupStatusReader reader, bool? all, CancellationToken ct)
    {
        var result = new SortedDictionary<string, BackupListJson>(StringComparer.Ordinal);
        foreach (var policy in policies.Current.Valid.Values)
            result[policy.Cluster] = await ListOrErrorAsync(policy, reader, all ?? false, ct);
        return Results.Json(result, PgBackupJson.Default.SortedDictionaryStringBackupListJson);
    }

    private static async Task<IResult> BackupsOfAsync(string cluster, PolicyDirectory policies, BackupStatusReader reader, bool? all, CancellationToken ct) =>
        policies.Current.Valid.GetValueOrDefault(cluster) is { } policy
            ? Results.Json(await ListOrErrorAsync(policy, reader, all ?? false, ct), PgBackupJson.Default.BackupListJson)
            : Results.Json(new ApiErrorJson($"no valid policy for cluster '{cluster}'"), PgBackupJson.Default.ApiErrorJson, statusCode: StatusCodes.Status404NotFound);

    /// <summary>Exactly what `pgbackup list --json [--all]` prints, or the reason the repository could not be read.</summary>
    private static async Task<BackupListJson> ListOrErrorAsync(Policy policy, BackupStatusReader reader, bool all, CancellationToken ct)
    {
        try
        {
            return BackupListJson.Of(await reader.EntriesAsync(policy, ct), all);
        }
        catch (PgBackupException e)
        {
            return BackupListJson.Failed(e.Message);
        }
    }

    private static async Task<IResult> StatusAsync(StatusCollector collector, PolicyDirectory policies, CancellationToken ct)
    {
        var clusters = await collector.CollectAsync(ct);
        return Results.Json(StatusJson.Of(policies.Path, policies.Current.Errors, clusters), PgBackupJson.Default.StatusJson);
    }
}
