using System.Net;
using System.Net.Http.Headers;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Hangfire;
using Hangfire.Storage;
using Hangfire.Storage.SQLite;
using PgBackup.Policies;
using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;
using PgBackup.Repository.Catalog;

namespace PgBackup.Tests.Integration.Serve;

[Collection(SandboxCollection.Name)]
public sealed class ServeFacts(SandboxFixture fixture, ITestOutputHelper output)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task A_one_minute_cron_backs_up_shows_in_api_metrics_and_dashboard_and_the_history_survives_a_restart()
    {
        using var policies = new ServePolicies(fixture.Endpoints);
        var cluster = ServePolicies.UniqueCluster("cron");
        policies.Write(cluster, "* * * * *");
        File.WriteAllText(policies.PolicyFile("broken"), "cluster: broken\n");
        var port = ServeProcess.FreePort();
        string[] args = ["--policies", policies.Directory, "--urls", $"http://127.0.0.1:{port}", "--storage", "sqlite:" + policies.StoragePath];
        var storage = new SQLiteStorage(policies.StoragePath, new SQLiteStorageOptions());

        await using (var serve = ServeProcess.Start(args, port: port))
        {
            try
            {
                await serve.WaitHealthyAsync(TimeSpan.FromSeconds(60));

                // The broken policy is reported and leaves the good one scheduled.
                using (var connection = storage.GetConnection())
                    Assert.Equal([$"backup:{cluster}"], connection.GetRecurringJobs().Select(j => j.Id));
                var status = await GetJsonAsync(serve.BaseUrl + "/api/status");
                Assert.Contains("broken.yaml", status.GetProperty("policyErrors")[0].GetProperty("file").GetString());

                // The cron fires within a minute; the backup takes seconds.
                var backups = await WaitForAsync(TimeSpan.FromSeconds(150), async () =>
                {
                    var list = await GetJsonAsync($"{serve.BaseUrl}/api/backups/{cluster}");
                    return list.GetArrayLength() > 0 ? list : (JsonElement?)null;
                });
                Assert.Equal("complete", backups[0].GetProperty("status").GetString());
                output.WriteLine($"backup {backups[0].GetProperty("id")} from {backups[0].GetProperty("source")}, {backups[0].GetProperty("databaseSize")} bytes");

                var monitoring = storage.GetMonitoringApi();
                var succeeded = await WaitForAsync(TimeSpan.FromSeconds(30), () => Task.FromResult(
                    monitoring.SucceededJobs(0, 50).FirstOrDefault(j => j.Value.Job.Args[0] as string == cluster) is { Key: not null } j ? j : (KeyValuePair<string, Hangfire.Storage.Monitoring.SucceededJobDto>?)null));
                output.WriteLine($"job {succeeded.Key} succeeded: {succeeded.Value.Result}");
                Assert.Contains(monitoring.FailedJobs(0, 50), j => j.Value.ExceptionMessage.Contains("broken.yaml") && j.Value.ExceptionMessage.Contains("patroni"));

                var metrics = await Http.GetStringAsync(serve.BaseUrl + "/metrics");
                Assert.Matches($"pgbackup_last_backup_age_seconds\\{{cluster=\"{cluster}\"\\}} [0-9.]+\n", metrics);
                Assert.Contains($"pgbackup_backup_size_bytes{{cluster=\"{cluster}\",kind=\"database\"}}", metrics);
                Assert.Contains("pgbackup_policy_errors 1\n", metrics);

                // The cluster's WAL archiver runs inside serve: streaming, with its lag and source exported.
                var archiver = await WaitForAsync(TimeSpan.FromSeconds(60), async () =>
                {
                    var a = (await GetJsonAsync(serve.BaseUrl + "/api/status")).GetProperty("clusters")[0].GetProperty("archiver");
                    return a.ValueKind == JsonValueKind.Object && a.GetProperty("state").GetString() == "streaming" ? a : (JsonElement?)null;
                });
                output.WriteLine($"archiver streaming from {archiver.GetProperty("source")}");
                metrics = await Http.GetStringAsync(serve.BaseUrl + "/metrics");
                Assert.Matches($"pgbackup_archiver_lag_bytes\\{{cluster=\"{cluster}\"\\}} [0-9]+\n", metrics);
                Assert.Contains($"pgbackup_archiver_up{{cluster=\"{cluster}\"}} 1", metrics);
            }
            finally
            {
                output.WriteLine(serve.Output);
            }
        }

        // A new process on the same SQLite file renders the old history, in a real browser.
        await using (var restarted = ServeProcess.Start(args, port: port))
        {
            await restarted.WaitHealthyAsync(TimeSpan.FromSeconds(60));
            var page = await DashboardBrowser.OpenAsync(restarted.BaseUrl + "/hangfire/jobs/succeeded", "dashboard-succeeded.png");
            output.WriteLine($"screenshot {page.Screenshot}");
            Assert.Equal(200, page.Status);
            Assert.Contains("Succeeded", page.Text);
            Assert.Contains($"backup {cluster}", page.Text);
        }
    }

    [Fact]
    public async Task Two_instances_on_one_storage_never_back_up_one_cluster_twice_at_once()
    {
        using var policies = new ServePolicies(fixture.Endpoints);
        var cluster = ServePolicies.UniqueCluster("pair");
        policies.Write(cluster, "0 0 1 1 *");
        var ports = new[] { ServeProcess.FreePort(), ServeProcess.FreePort() };
        var instances = ports.Select(p => ServeProcess.Start(
            // One backup at a time each, so the triggered runs spread over both instances and meet at the lock.
            ["--policies", policies.Directory, "--urls", $"http://127.0.0.1:{p}", "--storage", "sqlite:" + policies.StoragePath, "--max-concurrent-backups", "1"], port: p)).ToList();
        try
        {
            foreach (var serve in instances) await serve.WaitHealthyAsync(TimeSpan.FromSeconds(60));
            var storage = new SQLiteStorage(policies.StoragePath, new SQLiteStorageOptions());
            var monitoring = storage.GetMonitoringApi();
            Assert.Equal(4, monitoring.Servers().Count); // per instance, one server for backups and one for the other jobs

            const int runs = 4;
            var manager = new RecurringJobManager(storage);
            for (var i = 0; i < runs; i++) manager.Trigger($"backup:{cluster}");
            await WaitForAsync(TimeSpan.FromSeconds(180), () => Task.FromResult(
                monitoring.SucceededListCount() + monitoring.DeletedListCount() + monitoring.FailedCount() >= runs ? (bool?)true : null));

            Assert.Equal(0, monitoring.FailedCount());
            var servers = monitoring.SucceededJobs(0, runs).Select(j => monitoring.JobDetails(j.Key).History.First(h => h.StateName == "Processing").Data["ServerId"]).ToList();
            output.WriteLine($"{monitoring.SucceededListCount()} succeeded ({string.Join(", ", servers)}), {monitoring.DeletedListCount()} skipped");
            Assert.Equal(2, servers.Distinct().Count());

            // The repository is the witness: no two backups of the cluster overlap in time.
            using var repository = PolicyLoader.Load(policies.PolicyFile(cluster)).OpenRepository();
            var manifests = (await BackupCatalog.ListCompleteAsync(repository, CancellationToken.None)).OrderBy(m => m.StartTime).ToList();
            Assert.Equal(monitoring.SucceededListCount(), manifests.Count);
            for (var i = 1; i < manifests.Count; i++)
                Assert.True(manifests[i].StartTime >= manifests[i - 1].EndTime, $"backup {manifests[i].Id} started before {manifests[i - 1].Id} ended");
        }
        finally
        {
            foreach (var serve in instances)
            {
                output.WriteLine(serve.Output);
                await serve.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_weekly_full_with_nightly_incrementals_schedules_both_and_the_incremental_builds_on_the_full()
    {
        using var policies = new ServePolicies(fixture.Endpoints);
        var cluster = ServePolicies.UniqueCluster("incr");
        policies.Write(cluster, "0 2 * * 0", incrCron: "0 2 * * 1-6");
        var port = ServeProcess.FreePort();
        await using var serve = ServeProcess.Start(["--policies", policies.Directory, "--urls", $"http://127.0.0.1:{port}", "--storage", "sqlite:" + policies.StoragePath], port: port);
        try
        {
            await serve.WaitHealthyAsync(TimeSpan.FromSeconds(60));
            var storage = new SQLiteStorage(policies.StoragePath, new SQLiteStorageOptions());
            using (var connection = storage.GetConnection())
                Assert.Equal([$"backup:{cluster}", $"incr:{cluster}"], connection.GetRecurringJobs().Select(j => j.Id).Order());
            var monitoring = storage.GetMonitoringApi();
            var manager = new RecurringJobManager(storage);
            foreach (var (job, done) in new[] { ($"backup:{cluster}", 1L), ($"incr:{cluster}", 2L) })
            {
                manager.Trigger(job);
                await WaitForAsync(TimeSpan.FromSeconds(180), () => Task.FromResult(monitoring.SucceededListCount() + monitoring.FailedCount() >= done ? (bool?)true : null));
            }
            Assert.Equal(0, monitoring.FailedCount());

            using var repository = PolicyLoader.Load(policies.PolicyFile(cluster)).OpenRepository();
            var manifests = (await BackupCatalog.ListCompleteAsync(repository, CancellationToken.None)).OrderBy(m => m.StartTime).ToList();
            Assert.Equal([BackupType.Full, BackupType.Incr], manifests.Select(m => m.Type));
            Assert.Equal(manifests[0].Id, manifests[1].Reference);
            Assert.Contains(monitoring.SucceededJobs(0, 10), j => j.Value.Result is string r && r.Contains($"incr backup {manifests[1].Id} on {manifests[0].Id}"));
        }
        finally
        {
            output.WriteLine(serve.Output);
        }
    }

    [Fact]
    public async Task A_non_loopback_bind_needs_a_token_and_answers_401_without_it()
    {
        using var policies = new ServePolicies(fixture.Endpoints);
        policies.Write(ServePolicies.UniqueCluster("auth"), "0 0 1 1 *");
        var port = ServeProcess.FreePort();
        string[] args = ["--policies", policies.Directory, "--urls", $"http://0.0.0.0:{port}", "--storage", "sqlite:" + policies.StoragePath];

        await using (var refused = ServeProcess.Start(args, port: port))
        {
            Assert.Equal(2, await refused.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.StartsWith("error: listening on http://0.0.0.0:", refused.Output);
        }

        const string token = "serve-test-token-0123456789";
        await using var serve = ServeProcess.Start(args, new Dictionary<string, string> { ["PGBACKUP_SERVE_TOKEN"] = token }, port);
        await serve.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        var hosts = new List<string> { "127.0.0.1" };
        if (NonLoopbackAddress() is { } ip) hosts.Add(ip.ToString());
        foreach (var host in hosts)
            foreach (var path in new[] { "/api/status", "/api/clusters", "/api/backups", "/metrics", "/hangfire", "/hangfire/jobs/succeeded" })
            {
                var url = $"http://{host}:{port}{path}";
                Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(url, null)).StatusCode);
                Assert.Equal(HttpStatusCode.OK, (await SendAsync(url, new AuthenticationHeaderValue("Bearer", token))).StatusCode);
            }
        output.WriteLine($"checked via {string.Join(" and ", hosts)}");
        var basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("oncall:" + token)));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(serve.BaseUrl + "/hangfire", basic)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(serve.BaseUrl + "/healthz", null)).StatusCode);
    }

    [Fact]
    public async Task A_loopback_bind_refuses_callers_a_proxy_forwards_from_elsewhere_and_follows_policy_changes()
    {
        using var policies = new ServePolicies(fixture.Endpoints);
        var port = ServeProcess.FreePort();
        await using var serve = ServeProcess.Start(
            ["--policies", policies.Directory, "--urls", $"http://127.0.0.1:{port}", "--storage", "sqlite:" + policies.StoragePath], port: port);
        await serve.WaitHealthyAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(serve.BaseUrl + "/hangfire", null)).StatusCode);
        using (var forwarded = new HttpRequestMessage(HttpMethod.Get, serve.BaseUrl + "/hangfire"))
        {
            forwarded.Headers.Add("X-Forwarded-For", "203.0.113.7");
            Assert.Equal(HttpStatusCode.Unauthorized, (await Http.SendAsync(forwarded)).StatusCode);
        }

        var storage = new SQLiteStorage(policies.StoragePath, new SQLiteStorageOptions());
        string[] RecurringIds()
        {
            using var connection = storage.GetConnection();
            return connection.GetRecurringJobs().Select(j => j.Id).ToArray();
        }
        var cluster = ServePolicies.UniqueCluster("reload");
        policies.Write(cluster, "0 3 * * *");
        await WaitForAsync(TimeSpan.FromSeconds(20), () => Task.FromResult(RecurringIds().SequenceEqual([$"backup:{cluster}"]) ? (bool?)true : null));

        File.WriteAllText(policies.PolicyFile(cluster), "cluster: [not, a, name]\n");
        await WaitForAsync(TimeSpan.FromSeconds(20), () => Task.FromResult(RecurringIds().Length == 0 ? (bool?)true : null));
        var status = await GetJsonAsync(serve.BaseUrl + "/api/status");
        Assert.Equal(policies.PolicyFile(cluster), status.GetProperty("policyErrors")[0].GetProperty("file").GetString());
        Assert.Contains("Removed recurring job backup:" + cluster, serve.Output);
    }

    private static async Task<HttpResponseMessage> SendAsync(string url, AuthenticationHeaderValue? auth)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = auth;
        return await Http.SendAsync(request);
    }

    private static async Task<JsonElement> GetJsonAsync(string url) => JsonSerializer.Deserialize<JsonElement>(await Http.GetStringAsync(url));

    private static async Task<T> WaitForAsync<T>(TimeSpan timeout, Func<Task<T?>> probe) where T : struct
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await probe() is { } value) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"condition not met within {timeout}");
            await Task.Delay(500);
        }
    }

    /// <summary>The machine's own non-loopback IPv4 address (what `hostname -I` prints first), if it has one.</summary>
    private static IPAddress? NonLoopbackAddress() => NetworkInterface.GetAllNetworkInterfaces()
        .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
        .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address)
        .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
}
