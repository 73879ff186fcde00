using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using PgBackup.Policies;
using PgBackup.Repository;
using PgBackup.Tests.Integration.Replication;
using PgBackup.Tests.Integration.Sandbox;
using PgBackup.Wal;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Serve;

/// <summary>
/// Two `serve` instances on one Hangfire PostgreSQL storage (a database on the sandbox's leader),
/// loading the same policy: the cluster is archived once, and when the holder is killed the
/// other instance takes over within the lease timeout and continues without a gap.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class ArchiverLeaseFacts(SandboxFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan LeaseTimeout = TimeSpan.FromSeconds(6);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    [Fact]
    public async Task Two_instances_on_one_postgres_storage_archive_a_cluster_once_and_the_other_takes_over_a_killed_holder()
    {
        fixture.WaitHealthy();
        using var policies = new ServePolicies(fixture.Endpoints);
        var cluster = ServePolicies.UniqueCluster("lease");
        policies.Write(cluster, "0 0 1 1 *", archive: $"lease_timeout: {LeaseTimeout.TotalSeconds}s");
        var members = new ReplicationSandbox(fixture);
        await using var storage = await PostgresJobStorage.CreateAsync(fixture, policies);

        var instances = new List<ServeProcess>();
        try
        {
            foreach (var _ in new[] { 1, 2 })
            {
                var port = ServeProcess.FreePort();
                instances.Add(ServeProcess.Start(["--policies", policies.Directory, "--urls", $"http://127.0.0.1:{port}", "--storage", storage.StorageArgument], port: port));
            }
            foreach (var serve in instances) await serve.WaitHealthyAsync(TimeSpan.FromSeconds(60));

            var (holder, standby) = await WaitForOneHolderAsync(instances, TimeSpan.FromSeconds(90));
            output.WriteLine($"{holder.Instance} archives, {standby.Instance} stands by");
            var slot = PgBackup.Repository.ClusterName.ArchiverSlot(cluster);
            Assert.Equal(1, await ActiveSlotsAsync(members, slot));
            var metrics = await Http.GetStringAsync(standby.BaseUrl + "/metrics");
            Assert.Contains($"pgbackup_archiver_instance_info{{cluster=\"{cluster}\",instance=\"{holder.Instance}\"}} 1", metrics);

            await members.ExecuteAsync(await members.LeaderPortAsync(), "SELECT pg_switch_wal()");
            await holder.Kill9Async();
            var clock = Stopwatch.StartNew();
            instances.Remove(holder);
            await holder.DisposeAsync();
            await Waiting.UntilAsync(async () => (await ArchiverAsync(standby)) is { } a && a.GetProperty("state").GetString() == "streaming"
                && a.GetProperty("instance").GetString() == standby.Instance, TimeSpan.FromSeconds(60), $"{standby.Instance} to take over");
            output.WriteLine($"{standby.Instance} took over {clock.Elapsed.TotalSeconds:0.0} s after the kill (lease timeout {LeaseTimeout.TotalSeconds} s)");
            Assert.True(clock.Elapsed < LeaseTimeout + LeaseTimeout / 3 + TimeSpan.FromSeconds(5), $"takeover took {clock.Elapsed.TotalSeconds:0.0} s");

            // The survivor carries on where the killed holder stopped: no WAL missing since the archive began.
            await members.ExecuteAsync(await members.LeaderPortAsync(), "SELECT pg_switch_wal()");
            var policy = PolicyLoader.Load(policies.PolicyFile(cluster));
            using var repository = policy.OpenRepository();
            await Waiting.UntilAsync(async () => await SegmentsAsync(repository) >= 2, TimeSpan.FromSeconds(60), "two segments archived");
            var report = await new WalArchiveCheck(policy, repository, NullLogger.Instance).RunAsync(TimeSpan.FromMinutes(5), CancellationToken.None);
            foreach (var p in report.Problems) output.WriteLine("problem: " + p);
            Assert.Empty(report.Gaps);
            Assert.DoesNotContain(report.Problems, p => p.Kind is WalProblemKind.MissingWal or WalProblemKind.MissingHistory);
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

    private async Task<(ServeProcess Holder, ServeProcess Standby)> WaitForOneHolderAsync(IReadOnlyList<ServeProcess> instances, TimeSpan patience)
    {
        (ServeProcess, ServeProcess)? found = null;
        await Waiting.UntilAsync(async () =>
        {
            var states = new List<(ServeProcess Serve, string? State, string? Instance)>();
            foreach (var serve in instances)
            {
                var a = await ArchiverAsync(serve);
                states.Add((serve, a?.GetProperty("state").GetString(), a?.GetProperty("instance").GetString()));
            }
            var streaming = states.Where(s => s.State == "streaming").ToList();
            if (streaming.Count > 1)
                Assert.Fail($"two instances archive the cluster: {string.Join(", ", streaming.Select(s => s.Serve.Instance))}");
            if (streaming is [var h] && states.Single(s => s.Serve != h.Serve) is { State: "standby" } other && other.Instance == h.Serve.Instance && h.Instance == h.Serve.Instance)
                found = (h.Serve, other.Serve);
            return found is not null;
        }, patience, "one instance streaming and the other standing by");
        return found!.Value;
    }

    private static async Task<JsonElement?> ArchiverAsync(ServeProcess serve)
    {
        try
        {
            var status = await Http.GetFromJsonAsync<JsonElement>(serve.BaseUrl + "/api/status");
            var a = status.GetProperty("clusters")[0].GetProperty("archiver");
            return a.ValueKind == JsonValueKind.Object ? a : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static async Task<int> SegmentsAsync(BackupRepository repository)
    {
        var count = 0;
        await foreach (var o in repository.Store.ListAsync(repository.Layout.WalPrefix))
            if (repository.Layout.TryParseWalObject(o.Key, out var name) && !name.Partial)
                count++;
        return count;
    }

    private async Task<long> ActiveSlotsAsync(ReplicationSandbox members, string slot)
    {
        long active = 0;
        foreach (var port in fixture.Endpoints.PgPorts)
            active += await members.ScalarAsync<long>(port, $"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}' AND active");
        return active;
    }
}
