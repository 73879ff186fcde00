using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;
using PgBackup.Policies;
using PgBackup.Repository.Catalog;
using PgBackup.Tests.Integration.Replication;
using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Serve;

/// <summary>
/// A fleet on two `serve` instances sharing a Hangfire PostgreSQL storage: ten policies, one cron.
/// The ten clusters are the sandbox's one Patroni cluster under ten names, each with its own
/// repository prefix and archiver slot: to `serve` they are ten clusters (ten leases, archivers,
/// locks and schedules), and ten real Patroni clusters would not fit on two cores beside the
/// sandbox. Every scheduled run backs up once, no instance runs more than two at once, and the
/// starts are spread over schedules.jitter.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed partial class FleetFacts(SandboxFixture fixture, ITestOutputHelper output)
{
    private const int Clusters = 10;
    private const int MaxConcurrentBackups = 2;

    /// <summary>Short, so ten backups arrive faster than four workers finish them and the cap is what holds them back.</summary>
    private static readonly TimeSpan Jitter = TimeSpan.FromSeconds(6);

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Ten_clusters_on_two_instances_back_up_each_scheduled_run_once_at_most_two_at_once_per_instance_spread_over_the_jitter()
    {
        fixture.WaitHealthy();
        using var policies = new ServePolicies(fixture.Endpoints);
        var members = new ReplicationSandbox(fixture);
        await using var storage = await PostgresJobStorage.CreateAsync(fixture, policies);

        // Two scheduled runs, two minutes apart, so the first round is over before the second fires.
        var firstRun = StartOfMinute(DateTime.UtcNow.AddSeconds(75));
        DateTime[] runs = [firstRun, firstRun.AddMinutes(2)];
        var cron = $"{runs[0].Minute},{runs[1].Minute} * * * *";
        var clusters = Enumerable.Range(0, Clusters).Select(_ => ServePolicies.UniqueCluster("fleet")).ToList();
        foreach (var cluster in clusters) policies.Write(cluster, cron, jitter: $"{Jitter.TotalSeconds}s");
        output.WriteLine($"cron '{cron}' (UTC) for {Clusters} clusters; runs at {runs[0]:HH:mm} and {runs[1]:HH:mm}");

        var instances = new List<ServeProcess>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var port = ServeProcess.FreePort();
                instances.Add(ServeProcess.Start(["--policies", policies.Directory, "--urls", $"http://127.0.0.1:{port}", "--storage", storage.StorageArgument,
                    "--max-concurrent-backups", MaxConcurrentBackups.ToString()], port: port));
            }
            foreach (var serve in instances) await serve.WaitHealthyAsync(TimeSpan.FromSeconds(60));

            IReadOnlyList<BackupRun> done = [];
            await Waiting.UntilAsync(async () =>
            {
                await Task.Delay(TimeSpan.FromSeconds(2));
                done = await BackupRunsAsync(storage);
                return done.Count(r => r.FinalState is "Succeeded" or "Failed" or "Deleted") >= Clusters * runs.Length;
            }, runs[1] - DateTime.UtcNow + TimeSpan.FromMinutes(3), $"{Clusters * runs.Length} scheduled backups to end");
            var archivers = await ReportArchiversAsync(instances, clusters);

            foreach (var run in done.OrderBy(r => r.Started))
                output.WriteLine($"{run.Cluster} job {run.Id}: spread {run.Spread.TotalSeconds:0}s, {run.Started:HH:mm:ss.f}–{run.Ended:HH:mm:ss.f} on {run.Instance}, {run.FinalState}");

            // Every run completed, once per cluster and scheduled minute.
            Assert.All(done, r => Assert.Equal("Succeeded", r.FinalState));
            Assert.Equal(Clusters * runs.Length, done.Count);
            foreach (var cluster in clusters)
                Assert.Equal(runs.Select(r => r.Minute).Order(), done.Where(r => r.Cluster == cluster).Select(r => r.Fired.Minute).Order());

            // The cap: per instance never more than two at once, and reached (or the test could not tell).
            var peaks = done.GroupBy(r => r.Instance ?? "").ToDictionary(g => g.Key, g => PeakOverlap(g.ToList()));
            output.WriteLine("peak concurrent backups: " + string.Join(", ", peaks.Select(p => $"{p.Key} {p.Value}")));
            Assert.All(peaks.Values, peak => Assert.True(peak <= MaxConcurrentBackups, $"{peak} backups ran at once on one instance"));
            Assert.Contains(MaxConcurrentBackups, peaks.Values);

            // The spread: a fixed offset per cluster, within the jitter, not all the same.
            foreach (var cluster in clusters)
                Assert.Single(done.Where(r => r.Cluster == cluster).Select(r => r.Spread).Distinct());
            Assert.All(done, r => Assert.InRange(r.Spread, TimeSpan.Zero, Jitter));
            Assert.True(done.Select(r => r.Spread).Distinct().Count() >= 3, "the starts were not spread");

            // Twenty backups later, no instance holds a WAL spool file beyond its archivers' own: each backup closed its receiver's.
            foreach (var serve in instances)
                Assert.True(serve.OpenWalSpoolFiles() <= archivers[serve.Instance],
                    $"{serve.Instance} holds {serve.OpenWalSpoolFiles()} WAL spool files open for {archivers[serve.Instance]} archivers");

            // The repositories are the witness: exactly the two backups per cluster that the jobs report.
            foreach (var cluster in clusters)
            {
                using var repository = PolicyLoader.Load(policies.PolicyFile(cluster)).OpenRepository();
                Assert.Equal(runs.Length, (await BackupCatalog.ListCompleteAsync(repository, CancellationToken.None)).Count);
            }
        }
        finally
        {
            foreach (var serve in instances)
            {
                output.WriteLine(serve.Output);
                await serve.DisposeAsync();
            }
            foreach (var cluster in clusters) await members.DropSlotEverywhereAsync(PgBackup.Repository.ClusterName.ArchiverSlot(cluster));
        }
    }

    /// <summary>One backup job as the job storage recorded it: which occurrence fired it, how long it was spread, where and when it ran.</summary>
    private sealed record BackupRun(long Id, string Cluster, string FinalState, DateTime Fired, TimeSpan Spread, string? Instance, DateTime? Started, DateTime? Ended);

    private static async Task<IReadOnlyList<BackupRun>> BackupRunsAsync(PostgresJobStorage storage)
    {
        await using var connection = new NpgsqlConnection(storage.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT j.id, j.statename, p.value, j.createdat, s.name, s.reason, s.createdat, s.data::text
            FROM hangfire.job j
            JOIN hangfire.jobparameter p ON p.jobid = j.id AND p.name = 'RecurringJobId'
            JOIN hangfire.state s ON s.jobid = j.id
            WHERE p.value LIKE '"backup:%'
            ORDER BY j.id, s.id
            """, connection);
        var states = new List<(long Id, string? Final, string Cluster, DateTime Created, string State, string? Reason, DateTime At, string? Data)>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                states.Add((reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1), JsonSerializer.Deserialize<string>(reader.GetString(2))!["backup:".Length..],
                    reader.GetDateTime(3), reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetDateTime(6), reader.IsDBNull(7) ? null : reader.GetString(7)));
        return states.GroupBy(s => s.Id).Select(job =>
        {
            var first = job.First();
            var processing = job.LastOrDefault(s => s.State == "Processing");
            var ended = job.LastOrDefault(s => s.State is "Succeeded" or "Failed" or "Deleted");
            var spread = job.FirstOrDefault(s => s.State == "Scheduled" && s.Reason?.StartsWith("start spread by ", StringComparison.Ordinal) == true);
            var server = processing.Data is { } data ? JsonSerializer.Deserialize<Dictionary<string, string>>(data)!["ServerId"] : null;
            return new BackupRun(first.Id, first.Cluster, first.Final ?? "", first.Created,
                spread.Reason is { } reason ? TimeSpan.FromSeconds(int.Parse(SpreadSeconds().Match(reason).Groups[1].Value)) : TimeSpan.Zero,
                // "host:pid/backups:guid": the instance is what precedes its backup server's name.
                server?[..server.IndexOf("/backups", StringComparison.Ordinal)],
                processing.State is null ? null : processing.At, ended.State is null ? null : ended.At);
        }).ToList();
    }

    [GeneratedRegex(@"^start spread by (\d+)s ")]
    private static partial Regex SpreadSeconds();

    /// <summary>The most runs in progress at one moment (a run ending at the moment another starts does not overlap it).</summary>
    private static int PeakOverlap(IReadOnlyList<BackupRun> runs)
    {
        var events = runs.SelectMany(r => new[] { (At: r.Started!.Value, Delta: 1), (At: r.Ended!.Value, Delta: -1) }).OrderBy(e => e.At).ThenBy(e => e.Delta);
        int current = 0, peak = 0;
        foreach (var e in events) peak = Math.Max(peak, current += e.Delta);
        return peak;
    }

    /// <summary>Each cluster streams on exactly one instance; the others stand by. Logs each instance's RSS beside its archiver count.</summary>
    /// <summary>Waits until every cluster has one streaming archiver; returns how many each instance hosts.</summary>
    private async Task<IReadOnlyDictionary<string, int>> ReportArchiversAsync(IReadOnlyList<ServeProcess> instances, IReadOnlyList<string> clusters)
    {
        var streaming = new Dictionary<string, List<string>>();
        await Waiting.UntilAsync(async () =>
        {
            streaming = clusters.ToDictionary(c => c, _ => new List<string>());
            foreach (var serve in instances)
            {
                var status = await Http.GetFromJsonAsync<JsonElement>(serve.BaseUrl + "/api/status");
                foreach (var c in status.GetProperty("clusters").EnumerateArray())
                    if (c.GetProperty("archiver") is { ValueKind: JsonValueKind.Object } a && a.GetProperty("state").GetString() == "streaming")
                        streaming[c.GetProperty("cluster").GetString()!].Add(serve.Instance);
            }
            return streaming.Values.All(holders => holders.Count == 1);
        }, TimeSpan.FromSeconds(60), "every cluster archived by exactly one instance");
        var hosted = instances.ToDictionary(serve => serve.Instance, serve => streaming.Values.Count(h => h.Contains(serve.Instance)));
        foreach (var serve in instances)
            output.WriteLine($"{serve.Instance}: {hosted[serve.Instance]} archivers, {serve.OpenWalSpoolFiles()} WAL spool files open, {serve.ResidentMiB():0} MiB resident");
        return hosted;
    }

    private static DateTime StartOfMinute(DateTime t) => new(t.Year, t.Month, t.Day, t.Hour, t.Minute, 0, DateTimeKind.Utc);
}
