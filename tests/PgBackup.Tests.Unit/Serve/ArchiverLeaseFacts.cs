using Hangfire.Storage.SQLite;
using Microsoft.Extensions.Logging.Abstractions;
using PgBackup.Cli.Serve.Archiver;
using PgBackup.Policies;
using PgBackup.Tests.Unit.Policies;

namespace PgBackup.Tests.Unit.Serve;

/// <summary>Leases between `serve` instances, on a real Hangfire SQLite storage that two instances share.</summary>
public sealed class ArchiverLeaseFacts : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"pgbackup-lease-{Guid.NewGuid():N}.db");
    private readonly SQLiteStorage _storage;

    public ArchiverLeaseFacts() => _storage = new SQLiteStorage(_path, new SQLiteStorageOptions());

    public void Dispose()
    {
        _storage.Dispose();
        File.Delete(_path);
    }

    [Fact]
    public async Task One_instance_holds_a_cluster_until_its_lease_expires_then_another_takes_it()
    {
        var a = new ArchiverLease(_storage, "host-a:1");
        var b = new ArchiverLease(_storage, "host-b:2");
        Assert.Equal("host-a:1", a.TryHold("main", TimeSpan.FromSeconds(1)));
        Assert.Equal("host-a:1", b.TryHold("main", TimeSpan.FromSeconds(1)));
        Assert.Equal("host-b:2", b.TryHold("other", TimeSpan.FromSeconds(1)));
        Assert.Equal("host-a:1", a.TryHold("main", TimeSpan.FromSeconds(1))); // renewed

        await Task.Delay(TimeSpan.FromSeconds(1.3));
        Assert.Equal("host-b:2", b.TryHold("main", TimeSpan.FromSeconds(10)));
        Assert.Equal("host-b:2", a.TryHold("main", TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void A_released_lease_is_free_at_once_and_only_its_holder_can_release_it()
    {
        var a = new ArchiverLease(_storage, "host-a:1");
        var b = new ArchiverLease(_storage, "host-b:2");
        Assert.Equal("host-a:1", a.TryHold("main", TimeSpan.FromMinutes(1)));
        b.Release("main");
        Assert.Equal("host-a:1", b.TryHold("main", TimeSpan.FromMinutes(1)));
        a.Release("main");
        Assert.Equal("host-b:2", b.TryHold("main", TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task An_archiver_that_ends_on_its_own_ends_the_leased_run_and_frees_the_lease()
    {
        var policy = PolicyLoader.Parse("p.yaml", PolicyLoaderFacts.Minimal + "\narchive:\n  lease_timeout: 3s\n");
        var starts = 0;
        var leased = new LeasedArchiver(new ArchiverLease(_storage, "host-a:1"), (_, _, _) => { Interlocked.Increment(ref starts); return Task.CompletedTask; },
            NullLogger<LeasedArchiver>.Instance);
        await leased.RunAsync(policy, new ArchiverStatusBoard().For("main"), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, starts);
        Assert.Equal("host-b:2", new ArchiverLease(_storage, "host-b:2").TryHold("main", TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Of_two_instances_exactly_one_archives_and_the_other_takes_over_when_it_stops()
    {
        var policy = PolicyLoader.Parse("p.yaml", PolicyLoaderFacts.Minimal + "\narchive:\n  lease_timeout: 3s\n");
        var running = new List<string>();
        Func<Policy, IProgress<ArchiverStatus>, CancellationToken, Task> Archive(string instance) => async (_, _, ct) =>
        {
            lock (running) running.Add(instance);
            try { await Task.Delay(Timeout.Infinite, ct); }
            finally { lock (running) running.Remove(instance); }
        };
        var boardA = new ArchiverStatusBoard();
        var boardB = new ArchiverStatusBoard();
        using var stopA = new CancellationTokenSource();
        using var stopB = new CancellationTokenSource();
        var a = new LeasedArchiver(new ArchiverLease(_storage, "host-a:1"), Archive("a"), NullLogger<LeasedArchiver>.Instance).RunAsync(policy, boardA.For("main"), stopA.Token);
        await Task.Delay(500);
        var b = new LeasedArchiver(new ArchiverLease(_storage, "host-b:2"), Archive("b"), NullLogger<LeasedArchiver>.Instance).RunAsync(policy, boardB.For("main"), stopB.Token);

        await Task.Delay(TimeSpan.FromSeconds(3.5));
        lock (running) Assert.Equal(["a"], running);
        Assert.Equal(LeasedArchiver.Standby, boardB.Get("main")?.State);
        Assert.Equal("host-a:1", boardB.Get("main")?.Instance);

        // A clean stop releases the lease: b takes over within one renewal (a third of the timeout), not the whole timeout.
        await stopA.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => a);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        lock (running) Assert.Equal(["b"], running);

        await stopB.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b);
        lock (running) Assert.Empty(running);
    }
}
