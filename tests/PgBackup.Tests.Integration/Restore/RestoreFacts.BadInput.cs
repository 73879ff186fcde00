using System.Diagnostics;
using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Restore;

/// <summary>Every bad input to `restore`: one error line naming the problem and the fix, the exit code of its class, nothing written.</summary>
public sealed partial class RestoreFacts
{
    [Fact]
    public async Task A_dry_run_prints_the_plan_and_writes_nothing()
    {
        await using var restored = new RestoredDirectory();
        var run = await RestoreAsync([.. restored.RestoreArgs, "--time", history.Between(4, 5), "--dry-run"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"backup      {history.BackupId} from ", run.Stdout);
        Assert.Matches($@"timelines   {history.TimelineBeforeFailover} \(until [0-9A-F]+/[0-9A-F]+\) → {history.TimelineAfterFailover}", run.Stdout);
        Assert.Matches(@"WAL         [0-9A-F]+/[0-9A-F]+ to [0-9A-F]+/[0-9A-F]+: \d+ archived segment\(s\)", run.Stdout);
        Assert.Matches(@"download    [\d.]+ [KMG]iB", run.Stdout);
        Assert.Matches(@"estimate    about \d+ s", run.Stdout);
        Assert.False(Directory.Exists(restored.PgData), "--dry-run created PGDATA");
        Assert.Empty(run.Stderr);
    }

    [Theory]
    [InlineData("yesterday noon", "is not an ISO 8601 time")]
    [InlineData("2026-13-45T10:00:00Z", "is not an ISO 8601 time")]
    [InlineData("2026-11-27T10:00:00", "has no time zone", "--tz")]
    public async Task A_malformed_or_zoneless_time_is_refused(string time, params string[] mentions)
    {
        await using var restored = new RestoredDirectory();
        var run = await RestoreAsync([.. restored.RestoreArgs, "--time", time]);
        AssertOneErrorLine(run, 2, ["--time", .. mentions]);
        Assert.False(Directory.Exists(restored.PgData));
    }

    [Fact]
    public async Task A_target_before_any_backup_names_the_nearest_possible_target()
    {
        await using var restored = new RestoredDirectory();
        var run = await RestoreAsync([.. restored.RestoreArgs, "--time", RestoreHistory.Iso(history.CommitTimes[1])]);
        AssertOneErrorLine(run, 2, history.BackupId, "nearest possible target is --time ");
        Assert.False(Directory.Exists(restored.PgData));

        // The nearest target it names is possible indeed.
        var nearest = System.Text.RegularExpressions.Regex.Match(run.Stderr, @"nearest possible target is --time (\S+)").Groups[1].Value;
        var plan = await RestoreAsync("--time", nearest, "--dry-run");
        Assert.True(plan.ExitCode == 0, plan.ToString());
    }

    [Theory]
    [InlineData("--time")]
    [InlineData("--lsn")]
    public async Task A_target_after_the_end_of_the_archive_is_refused(string kind)
    {
        await using var restored = new RestoredDirectory();
        var run = await RestoreAsync([.. restored.RestoreArgs, kind, kind == "--time" ? RestoreHistory.Iso(DateTimeOffset.UtcNow.AddDays(1)) : "FF/0"]);
        AssertOneErrorLine(run, 2, "--latest");
        Assert.False(Directory.Exists(restored.PgData));
    }

    [Fact]
    public async Task A_timeline_that_does_not_exist_is_refused()
    {
        await using var restored = new RestoredDirectory();
        var run = await RestoreAsync([.. restored.RestoreArgs, "--latest", "--timeline", "99"]);
        AssertOneErrorLine(run, 2, "--timeline 99", "does not exist");
        Assert.False(Directory.Exists(restored.PgData));
    }

    [Fact]
    public async Task A_non_empty_PGDATA_is_refused_and_left_alone()
    {
        await using var restored = new RestoredDirectory();
        Directory.CreateDirectory(restored.PgData);
        var mine = Path.Combine(restored.PgData, "someone-elses-file");
        await File.WriteAllTextAsync(mine, "precious");
        var run = await RestoreAsync([.. restored.RestoreArgs, "--latest"]);
        AssertOneErrorLine(run, 2, restored.PgData, "not empty", "--delta");
        Assert.Equal([mine], Directory.EnumerateFileSystemEntries(restored.PgData));
        Assert.Equal("precious", await File.ReadAllTextAsync(mine));
    }

    [Fact]
    public async Task Missing_PostgreSQL_binaries_are_found_before_anything_is_written()
    {
        await using var restored = new RestoredDirectory();
        var run = await RestoreAsync([.. restored.RestoreArgs, "--latest", "--start", "--pg-bin", "/nonexistent"]);
        AssertOneErrorLine(run, 2, "--pg-bin /nonexistent");
        Assert.False(Directory.Exists(restored.PgData), "PGDATA was written although PostgreSQL could not be started");
    }

    /// <summary>A 5 MiB tmpfs cannot hold the ~20 MiB restore: a clear failure that says the directory cannot be started.</summary>
    [Fact]
    public async Task A_full_disk_fails_saying_the_directory_is_unusable()
    {
        await using var restored = new RestoredDirectory();
        Directory.CreateDirectory(restored.PgData);
        Mount("-t", "tmpfs", "-o", "size=5m", "tmpfs", restored.PgData);
        try
        {
            var run = await RestoreAsync([.. restored.RestoreArgs, "--latest"]);
            Assert.NotEqual(0, run.ExitCode);
            Assert.NotEqual(1, run.ExitCode); // a foreseen failure, not "unforeseen"
            var line = Assert.Single(run.StderrLines);
            Assert.StartsWith("error: ", line);
            Assert.Contains("incomplete restore that PostgreSQL cannot start", line);
            Assert.Contains(restored.PgData, line);
            Assert.Contains("space", line);
            Assert.DoesNotContain("Exception", line);
            Assert.DoesNotContain("   at ", run.Stdout + run.Stderr);
        }
        finally
        {
            Mount("-u", restored.PgData);
        }
    }

    private static void Mount(params string[] args)
    {
        var unmount = args[0] == "-u";
        using var p = Process.Start(new ProcessStartInfo(unmount ? "umount" : "mount", unmount ? args[1..] : args) { RedirectStandardError = true })!;
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{(unmount ? "umount" : "mount")} {string.Join(' ', args)}: {stderr}");
    }
}
