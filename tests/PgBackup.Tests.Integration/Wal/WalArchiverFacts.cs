using System.Globalization;
using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using PgBackup.Postgres;
using PgBackup.Repository;
using PgBackup.Tests.Integration.Sandbox;
using PgBackup.Wal;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Wal;

[Collection(SandboxCollection.Name)]
public sealed class WalArchiverFacts(SandboxFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Under_load_archived_segments_match_the_leaders_and_a_killed_archiver_resumes_without_gap_or_conflict()
    {
        await using var sandbox = new WalSandbox(fixture, "walkill");
        sandbox.StartLoad();
        using var repository = sandbox.OpenRepository();

        var first = sandbox.StartCli("archive", "--status-interval", "5");
        await WaitForSegmentsAsync(repository, 3);
        first.Kill9(); // no partial upload, no clean stop
        first.Dispose();
        var before = await SegmentsAsync(repository);
        output.WriteLine($"killed with {before.Count} segments archived");

        var second = sandbox.StartCli("archive", "--status-interval", "5");
        await WaitForSegmentsAsync(repository, before.Count + 3);
        await StopAsync(second);

        await sandbox.SwitchWalAsync();
        var segments = await SegmentsAsync(repository);
        var compared = 0;
        foreach (var segment in segments)
        {
            if (await sandbox.LeaderSegmentAsync(segment.FileName) is not { } onLeader)
                continue; // already recycled on the leader
            using var archived = new MemoryStream();
            Assert.True(await repository.Wal.TryGetSegmentAsync(segment.Timeline, segment.FileName, archived));
            Assert.True(onLeader.AsSpan().SequenceEqual(archived.ToArray()), $"{segment} differs from the leader's copy");
            compared++;
        }
        output.WriteLine($"{compared} of {segments.Count} archived segments compared byte for byte with the leader");
        Assert.True(compared >= 3, $"only {compared} segments were still on the leader to compare");

        var report = await new WalArchiveCheck(sandbox.Policy, repository, NullLogger.Instance).RunAsync(TimeSpan.FromMinutes(5), CancellationToken.None);
        Assert.Empty(report.Gaps);
        Assert.DoesNotContain(report.Problems, p => p.Kind is WalProblemKind.MissingWal or WalProblemKind.MissingHistory);
    }

    [Fact]
    [Trait(Smoke.Trait, Smoke.Yes)]
    public async Task Across_a_switchover_and_a_failover_the_archive_has_no_gap_and_continues_on_the_new_timeline()
    {
        await using var sandbox = new WalSandbox(fixture, "walfail");
        sandbox.StartLoad();
        using var repository = sandbox.OpenRepository();
        var archiver = new WalArchiver(sandbox.Policy, repository, new XunitLogger(output));
        using var stop = new CancellationTokenSource();
        var run = archiver.RunAsync(stop.Token);
        try
        {
            await WaitForAsync(() => archiver.Status.SegmentsArchived >= 2, "two segments archived");
            var timeline = archiver.Status.Timeline!.Value;

            output.WriteLine("switchover: new leader " + fixture.Sandbox("switchover").Trim());
            await WaitForAsync(() => archiver.Status.Timeline > timeline && archiver.Status.State == WalArchiverState.Streaming, "streaming on the next timeline");
            var afterSwitchover = archiver.Status.Timeline!.Value;
            await sandbox.SwitchWalAsync();
            await WaitForSegmentOnAsync(repository, afterSwitchover);

            output.WriteLine("failover: new leader " + fixture.Sandbox("failover").Trim());
            await WaitForAsync(() => archiver.Status.Timeline > afterSwitchover && archiver.Status.State == WalArchiverState.Streaming, "streaming after the failover");
            var final = archiver.Status.Timeline!.Value;
            await sandbox.SwitchWalAsync();
            await WaitForSegmentOnAsync(repository, final);
            output.WriteLine("status: " + archiver.Status);
            Assert.Empty(archiver.Status.Gaps);
        }
        finally
        {
            await stop.CancelAsync();
            await run;
        }

        var report = await new WalArchiveCheck(sandbox.Policy, repository, NullLogger.Instance).RunAsync(TimeSpan.FromMinutes(5), CancellationToken.None);
        foreach (var p in report.Problems) output.WriteLine("problem: " + p);
        Assert.Empty(report.Gaps);
        Assert.DoesNotContain(report.Problems, p => p.Kind is WalProblemKind.MissingWal or WalProblemKind.MissingHistory);
        Assert.Equal(archiver.Status.Timeline, report.Timeline);
        Assert.Contains(report.Timeline!.Value, report.Histories);
        Assert.True((await sandbox.PortsWithSlotAsync()).Count <= 1, "the archiver left slots behind on members it left");
    }

    /// <summary>
    /// Started on a repository with no history files while the cluster is past timeline 1, the
    /// archiver stores the current timeline's history file and every ancestor's before its WAL,
    /// so a point-in-time restore through the archive can follow the timelines.
    /// </summary>
    [Fact]
    public async Task An_archiver_started_on_a_timeline_above_1_stores_its_history_file_and_every_ancestors()
    {
        await using var sandbox = new WalSandbox(fixture, "walhist");
        var members = sandbox.Members;
        if (await members.ScalarAsync<int>(await members.LeaderPortAsync(), "SELECT timeline_id FROM pg_control_checkpoint()") == 1)
            output.WriteLine("switchover: new leader " + fixture.Sandbox("switchover").Trim());
        fixture.WaitHealthy();
        using var repository = sandbox.OpenRepository();

        var archiver = sandbox.StartCli("archive");
        await WaitForAsync(async () => (await ArchivedWal.LoadAsync(repository, WalSegmentSize.Default, CancellationToken.None)).Timelines.Any(t => t > 1), "WAL or history archived on a timeline above 1");
        await sandbox.SwitchWalAsync();
        await WaitForAsync(async () => (await SegmentsAsync(repository)).Any(s => s.Timeline > 1), "a segment archived on a timeline above 1");
        await StopAsync(archiver);

        var archived = await ArchivedWal.LoadAsync(repository, WalSegmentSize.Default, CancellationToken.None);
        var newest = archived.Timelines.Max();
        var history = await ArchivedHistory.LoadAsync(repository, newest, CancellationToken.None);
        Assert.NotNull(history);
        Assert.All(history.Entries.Where(e => e.Timeline > 1), e => Assert.True(archived.HasHistory(e.Timeline), $"history file of ancestor timeline {e.Timeline} is missing"));
        var report = await new WalArchiveCheck(sandbox.Policy, repository, NullLogger.Instance).RunAsync(TimeSpan.FromMinutes(5), CancellationToken.None);
        Assert.DoesNotContain(report.Problems, p => p.Kind is WalProblemKind.MissingHistory);
    }

    private static async Task<IReadOnlyList<WalSegmentName>> SegmentsAsync(BackupRepository repository)
    {
        var segments = new List<WalSegmentName>();
        await foreach (var o in repository.Store.ListAsync(repository.Layout.WalPrefix))
            if (repository.Layout.TryParseWalObject(o.Key, out var name) && !name.Partial)
                segments.Add(WalSegmentName.Parse(name.Segment));
        return segments;
    }

    private static async Task WaitForSegmentsAsync(BackupRepository repository, int count) =>
        await WaitForAsync(async () => (await SegmentsAsync(repository)).Count >= count, $"{count} segments archived");

    private static async Task WaitForSegmentOnAsync(BackupRepository repository, uint timeline) =>
        await WaitForAsync(async () => (await SegmentsAsync(repository)).Any(s => s.Timeline == timeline), $"a segment archived on timeline {timeline}");

    private static Task WaitForAsync(Func<bool> condition, string what) => Waiting.UntilAsync(condition, Patience, what);

    private static Task WaitForAsync(Func<Task<bool>> condition, string what) => Waiting.UntilAsync(condition, Patience, what);

    private static async Task StopAsync(RunningCli archiver)
    {
        // SIGTERM, as systemd or docker would: the archiver stops cleanly.
        Process.Start("kill", ["-TERM", archiver.ProcessId.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
        var result = await archiver.WaitAsync(TimeSpan.FromSeconds(60));
        archiver.Dispose();
        Assert.True(result.ExitCode == 0, result.ToString());
    }
}
