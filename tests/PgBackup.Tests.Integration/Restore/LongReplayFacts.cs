using System.Globalization;
using PgBackup.Tests.Integration.Retention;
using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Restore;

/// <summary>
/// A point-in-time restore --start across more than 200 archived segments: the server starts once
/// the data is in place, the restore fetches the segments (in parallel, each checked against its
/// checksum) into its spool while it recovers, and recovery takes every one from there, waiting
/// for those not yet written — the configured restore_command runs only for what the spool will not hold.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class LongReplayFacts(SandboxFixture sandbox, ITestOutputHelper output)
{
    private const int Markers = 220;
    private const int TargetMarker = 205;

    [Fact]
    public async Task A_time_target_205_segments_past_the_backup_lands_exactly_with_WAL_arriving_during_recovery_and_a_damaged_segment_is_refused()
    {
        await using var repo = new ArchivedSandbox(sandbox);
        await repo.LeaderAsync("DROP TABLE IF EXISTS replay_marker; CREATE TABLE replay_marker (id int PRIMARY KEY)");
        await repo.SwitchWalAndWaitArchivedAsync();
        await repo.BackupAsync();
        string? target = null;
        for (var i = 1; i <= Markers; i++)
        {
            // One marker per segment: each insert is followed by a switch to the next segment.
            await repo.LeaderAsync($"INSERT INTO replay_marker VALUES ({i}); SELECT pg_switch_wal()");
            if (i == TargetMarker)
                target = await repo.LeaderAsync("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
        }
        await repo.SwitchWalAndWaitArchivedAsync();

        await using var restored = new RestoredDirectory();
        var calls = Directory.CreateDirectory(Path.Combine(restored.Parent, "calls"));
        File.SetUnixFileMode(calls.FullName, (UnixFileMode)0b111_111_111); // the restored server's user writes here
        var callLog = Path.Combine(calls.FullName, "restore-command");
        var run = await repo.RunAsync(["restore", .. restored.RestoreArgs, "--time", target!, "--start", "--restore-command", $"echo %f >> {callLog}; exit 1", "--verbose"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        // Recovery shows its progress (a log line every few seconds off a terminal): WAL replayed, and downloaded while it arrives.
        Assert.Matches(@"recovery: replaying WAL [1-9][0-9.]* [KMG]iB of [0-9.]+ GiB \(\d+%\)", run.Stderr);
        Assert.Matches(@"recovery: replaying WAL .*, \d+/\d+ segments downloaded", run.Stderr);
        var spooled = int.Parse(System.Text.RegularExpressions.Regex.Match(run.Stdout, @"(\d+) archived WAL segment\(s\)").Groups[1].Value, CultureInfo.InvariantCulture);
        output.WriteLine(run.Stdout);
        Assert.True(spooled >= TargetMarker, $"only {spooled} segments were spooled");
        Assert.Contains("arriving while the server recovers", run.Stdout);
        await using (var connection = await restored.OpenAsync())
        await using (var count = new Npgsql.NpgsqlCommand("SELECT count(*) || '/' || max(id) FROM replay_marker", connection))
            Assert.Equal($"{TargetMarker}/{TargetMarker}", (string)(await count.ExecuteScalarAsync())!);
        var asked = File.Exists(callLog) ? File.ReadAllLines(callLog) : [];
        output.WriteLine("restore_command ran for: " + string.Join(", ", asked));
        output.WriteLine(restored.RecoveryLog);
        // Every archived segment came from the spool; the configured command is asked only for what the archive lacks
        // (history probes, and the segments past its end that recovery's read-ahead asks for).
        var timeline = uint.Parse((await repo.LeaderAsync("SELECT timeline_id FROM pg_control_checkpoint()"))!, CultureInfo.InvariantCulture);
        var archived = repo.ArchivedSegments(timeline);
        Assert.DoesNotContain(asked, name => archived.Contains(name + ".zst"));
        Assert.True(System.Text.RegularExpressions.Regex.Matches(restored.RecoveryLog, "restored log file \"[0-9A-F]{24}\" from archive").Count >= TargetMarker, restored.RecoveryLog);
        Assert.False(Directory.Exists(Path.Combine(restored.PgData, "pg_wal", "pgbackup-spool")), "the spool outlived recovery");

        // Every segment is checked as it is fetched: one flipped byte in the middle of the range is refused, naming it.
        var segments = archived;
        var damaged = Path.Combine(repo.ClusterRoot, "wal", timeline.ToString("X8", CultureInfo.InvariantCulture), segments[segments.Count - Markers / 2]);
        var bytes = await File.ReadAllBytesAsync(damaged);
        bytes[bytes.Length / 2] ^= 0x40;
        await File.WriteAllBytesAsync(damaged, bytes);
        await using var again = new RestoredDirectory();
        var refused = await repo.RunAsync(["restore", .. again.RestoreArgs, "--time", target!]);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Single(refused.ErrorLines);
        Assert.Contains(Path.GetFileNameWithoutExtension(damaged), refused.ErrorLines[0]);

        // With --start the server is recovering when the download meets it: recovery cannot pass it, and the one error line says why.
        await using var started = new RestoredDirectory();
        var failed = await repo.RunAsync(["restore", .. started.RestoreArgs, "--time", target!, "--start"]);
        output.WriteLine(failed.ToString());
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Single(failed.ErrorLines);
        Assert.Contains("recovery did not reach", failed.ErrorLines[0]);
        Assert.Contains(Path.GetFileNameWithoutExtension(damaged), failed.ErrorLines[0]);
    }
}
