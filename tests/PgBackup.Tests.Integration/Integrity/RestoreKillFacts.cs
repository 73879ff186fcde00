using System.Diagnostics;
using System.Text.Json;
using PgBackup.Tests.Integration.Backup;
using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Integrity;

/// <summary>
/// A restore killed (kill -9) at any moment before it finished leaves a directory PostgreSQL refuses to start —
/// pg_control is renamed into place only once everything else is durable — and `pgbackup restore`
/// into it names the interrupted restore. Ten evenly spaced kill points per backup format.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class RestoreKillFacts(SandboxFixture fixture, ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(180);

    private readonly BackupTestbed _bed = new(fixture);

    [Theory]
    [InlineData("server")]
    [InlineData("client")]
    public async Task A_restore_killed_at_ten_points_never_starts_is_named_as_interrupted_and_a_fresh_one_restores_the_data(string compression)
    {
        var dataset = await _bed.DatasetAsync();
        var policy = _bed.LocalPolicy(_bed.NewDirectory("repo"), compression);
        var backup = await PgBackupCli.RunAsync(["backup", "--policy", policy, "--json"], Deadline);
        Assert.True(backup.ExitCode == 0, backup.ToString());
        var id = JsonDocument.Parse(backup.Stdout).RootElement.GetProperty("id").GetString()!;
        string[] Restore(string pgData, int port, params string[] more) => ["restore", "--policy", policy, "--backup", id, "--pgdata", pgData, "--port", port.ToString(), .. more];

        var clock = Stopwatch.StartNew();
        var whole = await PgBackupCli.RunAsync(Restore(_bed.NewPath("whole"), RestoredServer.FreePort()), Deadline);
        var duration = clock.Elapsed;
        Assert.True(whole.ExitCode == 0, whole.ToString());
        output.WriteLine($"a whole restore took {duration.TotalSeconds:0.0} s");

        string? lastKilled = null;
        for (var point = 1; point <= 10; point++)
        {
            var pgData = _bed.NewPath("killed");
            var port = RestoredServer.FreePort();
            using var running = PgBackupCli.Start(Restore(pgData, port));
            await Task.Delay(duration * point / 11);
            if (running.HasExited)
            {
                var done = await running.WaitAsync(Deadline);
                output.WriteLine($"point {point}: the restore finished before the kill ({done.ExitCode})");
                Assert.True(done.ExitCode == 0, done.ToString());
                continue;
            }
            running.Kill9();
            if (File.Exists(Path.Combine(pgData, "global", "pg_control")))
            {
                // The kill landed after pg_control's rename, the restore's last durable step (the process was
                // still exiting): the directory is a finished restore and must start with the data.
                output.WriteLine($"point {point}: killed after the restore completed");
                await AssertStartsWithTheDataAsync(pgData, port, dataset);
                continue;
            }

            var (started, startOutput) = await RestoredServer.TryStartAsync(pgData, port);
            output.WriteLine($"point {point} ({(duration * point / 11).TotalSeconds:0.0} s): pg_ctl start exited {started}");
            Assert.True(started != 0, $"PostgreSQL started a restore killed at point {point}:\n{startOutput}");
            if (Directory.Exists(pgData) && Directory.EnumerateFileSystemEntries(pgData).Any())
            {
                var again = await PgBackupCli.RunAsync(Restore(pgData, port), Deadline);
                Assert.True(again is { ExitCode: 2, ErrorLines: [var line] } && line.Contains("holds a restore that did not finish", StringComparison.Ordinal),
                    $"point {point}: restoring into the killed restore's directory\n{again}\n--- its entries: {string.Join(", ", Directory.EnumerateFileSystemEntries(pgData).Select(Path.GetFileName).Order())}\n--- global/: {string.Join(", ", Directory.Exists(Path.Combine(pgData, "global")) ? Directory.EnumerateFiles(Path.Combine(pgData, "global")).Select(Path.GetFileName).Where(n => n!.Contains("control")) : [])}\n--- pg_ctl start\n{startOutput}");
                Assert.Contains($"backup {id}", again.ErrorLines[0]);
                lastKilled = pgData;
            }
        }

        var freshData = _bed.NewPath("fresh");
        var freshPort = RestoredServer.FreePort();
        var fresh = await PgBackupCli.RunAsync(Restore(freshData, freshPort), Deadline);
        Assert.True(fresh.ExitCode == 0, fresh.ToString());
        await AssertStartsWithTheDataAsync(freshData, freshPort, dataset);

        if (compression == "client" && lastKilled is not null)
        {
            // A client-chunked backup resumes an interrupted restore with --delta.
            var port = RestoredServer.FreePort();
            var resumed = await PgBackupCli.RunAsync(Restore(lastKilled, port, "--delta"), Deadline);
            Assert.True(resumed.ExitCode == 0, resumed.ToString());
            await AssertStartsWithTheDataAsync(lastKilled, port, dataset);
        }
    }

    private async Task AssertStartsWithTheDataAsync(string pgData, int port, SourceDataset dataset)
    {
        Assert.False(File.Exists(Path.Combine(pgData, "pgbackup-restore-incomplete")));
        await using var server = await RestoredServer.StartAsync(pgData, port);
        Assert.Equal(dataset.KnownChecksum, await _bed.ScalarAsync<string>(port, BackupTestbed.Database, SourceDataset.ChecksumSql));
    }

    public void Dispose() => _bed.Dispose();
}
