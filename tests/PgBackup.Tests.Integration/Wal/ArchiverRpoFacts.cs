using System.Diagnostics;
using PgBackup.Postgres;
using PgBackup.Tests.Integration.Sandbox;
using PgBackup.Wal;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Wal;

/// <summary>
/// The archive's recovery point through leader changes: for every acknowledged commit, how long
/// until the WAL holding it was durable in the repository, measured across a switchover and a
/// kill -9 failover. Right after either, no replica qualifies as a source for some seconds; with
/// archive.source replica-preferred (the default) the archiver streams from the new leader then.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class ArchiverRpoFacts(SandboxFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan P99Limit = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MaxLimit = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(6);

    [Fact]
    [Trait(Smoke.Trait, Smoke.Yes)]
    public async Task Through_a_switchover_and_a_kill_9_failover_every_acknowledged_commit_is_archived_within_two_seconds()
    {
        fixture.WaitHealthy();
        await using var sandbox = new WalSandbox(fixture, "walrpo");
        using var repository = sandbox.OpenRepository();
        var archiver = new WalArchiver(sandbox.Policy, repository, new XunitLogger(output));
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var run = archiver.RunAsync(stop.Token);
        var durable = new List<(TimeSpan At, uint Timeline, Lsn Lsn, Lsn SourceEnd)>();
        var transitions = new List<string>();
        var watch = Task.Run(async () =>
        {
            WalArchiverStatus? last = null;
            while (!stop.IsCancellationRequested)
            {
                var s = archiver.Status;
                if (s is { Timeline: { } t, ArchivedLsn: { } lsn })
                    durable.Add((clock.Elapsed, t, lsn, s.SourceWalEnd ?? Lsn.Invalid));
                if (last is null || s.State != last.State || s.SourceMember != last.SourceMember || s.Timeline != last.Timeline)
                    transitions.Add($"{clock.Elapsed.TotalSeconds:0.00} s: {s}");
                last = s;
                await Task.Delay(10, CancellationToken.None);
            }
        });
        await using var markers = new CommitMarkers(fixture, clock);
        IReadOnlySet<int> survivors;
        try
        {
            // A fresh slot on a replica starts at its last restart point, maybe timelines back: catch up
            // to where the leader is now first (the status's lag counts only what the source has sent).
            var (leaderTimeline, leaderLsn) = await sandbox.LeaderPositionAsync();
            await Waiting.UntilAsync(() => archiver.Status is { State: WalArchiverState.Streaming, Timeline: { } t, ArchivedLsn: { } a } && t >= leaderTimeline && a >= leaderLsn,
                TimeSpan.FromSeconds(120), $"the archiver streaming, caught up to {leaderLsn} on timeline {leaderTimeline}");
            await markers.StartAsync();
            await Task.Delay(Settle);
            var phases = new List<(string What, TimeSpan At)>();
            foreach (var verb in new[] { "switchover", "failover" })
            {
                phases.Add((verb, clock.Elapsed));
                // Its own thread: the verb blocks for seconds, and the archiver under test shares the thread pool.
                output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: {verb}, new leader {(await Task.Factory.StartNew(() => fixture.Sandbox(verb), TaskCreationOptions.LongRunning)).Trim()}; archiver: {archiver.Status}");
                await Task.Delay(Settle);
            }
            await markers.StopAsync();
            // The last markers' WAL needs its partial interval to become durable.
            await Task.Delay(TimeSpan.FromSeconds(4));
            survivors = await markers.SurvivorsAsync();
            output.WriteLine("archiver: " + archiver.Status);
            foreach (var (what, at) in phases)
                output.WriteLine($"{what} began at {at.TotalSeconds:0.0} s");
        }
        finally
        {
            await stop.CancelAsync();
            await run;
            await watch;
        }

        foreach (var t in transitions)
            output.WriteLine("archiver " + t);
        var acknowledged = markers.Acknowledged;
        var lost = acknowledged.Where(m => !survivors.Contains(m.Id)).ToList();
        var delays = new List<(CommitMarker Marker, TimeSpan Delay)>();
        var neverDurable = new List<CommitMarker>();
        foreach (var m in acknowledged.Where(m => survivors.Contains(m.Id)))
        {
            // Durable once the archiver reported this position durable on the marker's timeline or a later one
            // (a later timeline's history holds the marker: it survived into the cluster's current history).
            var first = durable.FirstOrDefault(d => d.At >= m.AcknowledgedAt && d.Timeline >= m.Timeline && d.Lsn >= m.Lsn);
            if (first == default) neverDurable.Add(m);
            else delays.Add((m, first.At - m.AcknowledgedAt));
        }
        var sorted = delays.Select(d => d.Delay).Order().ToList();
        var p50 = sorted[sorted.Count / 2];
        var p99 = sorted[Math.Min(sorted.Count - 1, (int)(sorted.Count * 0.99))];
        var max = sorted[^1];
        output.WriteLine($"{acknowledged.Count} markers acknowledged ({markers.Failures} writes failed during the leader changes), " +
            $"{lost.Count} lost by the cluster itself (asynchronous replication, kill -9), {neverDurable.Count} never archived; " +
            $"commit to durable: p50 {p50.TotalSeconds:0.000} s, p99 {p99.TotalSeconds:0.000} s, max {max.TotalSeconds:0.000} s");
        foreach (var (m, delay) in delays.OrderByDescending(d => d.Delay).Take(5))
        {
            // Where the delay went: reaching the archiver's source (replication), or the archiver (partial interval, upload).
            var seen = durable.FirstOrDefault(d => d.At >= m.AcknowledgedAt && d.Timeline >= m.Timeline && d.SourceEnd >= m.Lsn);
            var reached = seen == default ? "never seen at the source" : $"at the source after {(seen.At - m.AcknowledgedAt).TotalSeconds:0.000} s";
            output.WriteLine($"  slowest: marker {m.Id} on timeline {m.Timeline} at {m.Lsn}, acknowledged at {m.AcknowledgedAt.TotalSeconds:0.00} s, {reached}, durable after {delay.TotalSeconds:0.000} s");
            var steps = durable.Where(d => d.At >= m.AcknowledgedAt - TimeSpan.FromSeconds(1) && d.At <= m.AcknowledgedAt + delay)
                .DistinctBy(d => d.Lsn).Select(d => $"{d.At.TotalSeconds:0.00} s {d.Lsn}");
            output.WriteLine("    durable: " + string.Join(", ", steps));
        }

        Assert.Empty(neverDurable);
        Assert.True(acknowledged.Count > 200, $"only {acknowledged.Count} markers were acknowledged");
        Assert.True(lost.Count <= 3, $"{lost.Count} acknowledged markers are missing from the cluster");
        Assert.True(p99 <= P99Limit, $"p99 commit-to-durable delay {p99.TotalSeconds:0.000} s exceeds {P99Limit.TotalSeconds} s");
        Assert.True(max <= MaxLimit, $"max commit-to-durable delay {max.TotalSeconds:0.000} s exceeds {MaxLimit.TotalSeconds} s");
        Assert.Empty(archiver.Status.Gaps);
    }
}
