using System.Diagnostics;
using PgBackup.Restore;
using PgBackup.Tests.Unit.Repository;

namespace PgBackup.Tests.Unit.Restore;

/// <summary>
/// The recovery settings of the WAL spool, run as PostgreSQL runs them: the setting's value unquoted,
/// %f and %p replaced, through /bin/sh in the data directory.
/// </summary>
public sealed class WalSpoolFacts : IDisposable
{
    private const string Segment = "000000020000000000000005";
    private readonly TempDirectory _pgData = new();

    public WalSpoolFacts() => Directory.CreateDirectory(Path.Combine(_pgData.Path, "pg_wal"));

    public void Dispose() => _pgData.Dispose();

    private string Spool => Path.Combine(_pgData.Path, WalSpool.RelativePath);

    private static string RecoveryXlog => Path.Combine("pg_wal", "RECOVERYXLOG");

    [Fact]
    public void A_spooled_file_is_handed_over_each_time_it_is_asked_for_without_the_configured_command()
    {
        var spool = WalSpool.Create(_pgData.Path);
        File.WriteAllText(Path.Combine(spool, Segment), "segment");
        var restoreCommand = Setting(WalSpool.Settings("touch ran-configured-command; exit 3"), "restore_command");

        foreach (var _ in new[] { "probe", "read" })
        {
            var (exit, stderr) = Run(restoreCommand, Segment);
            Assert.True(exit == 0, stderr);
            Assert.Equal("segment", File.ReadAllText(Path.Combine(_pgData.Path, RecoveryXlog)));
            File.Delete(Path.Combine(_pgData.Path, RecoveryXlog)); // as PostgreSQL does with a probed history file
        }
        Assert.Equal("segment", File.ReadAllText(Path.Combine(spool, Segment)));
        Assert.False(File.Exists(Path.Combine(_pgData.Path, "ran-configured-command")));
    }

    [Fact]
    public void What_the_spool_does_not_hold_goes_to_the_configured_command_and_its_exit_status_counts()
    {
        WalSpool.Create(_pgData.Path);

        var (exit, _) = Run(Setting(WalSpool.Settings("printf \"it's %f\" > %p; exit 0"), "restore_command"), Segment);
        Assert.Equal(0, exit);
        Assert.Equal("it's " + Segment, File.ReadAllText(Path.Combine(_pgData.Path, RecoveryXlog)));

        (exit, var stderr) = Run(Setting(WalSpool.Settings("echo 'not readable' >&2; exit 1"), "restore_command"), "00000003.history");
        Assert.Equal(1, exit);
        Assert.Contains("not readable", stderr);
    }

    [Fact]
    public void An_empty_configured_command_means_the_spool_only()
    {
        WalSpool.Create(_pgData.Path);

        var (exit, stderr) = Run(Setting(WalSpool.Settings(""), "restore_command"), Segment);

        Assert.Equal(1, exit);
        Assert.Equal("", stderr);
    }

    [Fact]
    public void Recovery_end_removes_what_recovery_did_not_take_and_a_new_restore_starts_empty()
    {
        var spool = WalSpool.Create(_pgData.Path);
        File.WriteAllText(Path.Combine(spool, Segment), "left over");
        Assert.Empty(Directory.EnumerateFiles(WalSpool.Create(_pgData.Path)));
        File.WriteAllText(Path.Combine(spool, Segment), "left over");

        var (exit, _) = Run(Setting(WalSpool.Settings("false"), "recovery_end_command"), Segment);

        Assert.Equal(0, exit);
        Assert.False(Directory.Exists(spool));
        Assert.True(Directory.Exists(Path.Combine(_pgData.Path, "pg_wal")));
    }

    [Fact]
    public async Task A_segment_still_arriving_is_waited_for_and_handed_over_once_written()
    {
        var spool = WalSpool.Create(_pgData.Path);
        WalSpool.BeginArrival(spool, [Segment]);
        var restoreCommand = Setting(WalSpool.Settings("exit 3"), "restore_command");

        var asked = Task.Run(() => Run(restoreCommand, Segment));
        await Task.Delay(500);
        Assert.False(asked.IsCompleted, "restore_command did not wait for the arriving segment");
        File.WriteAllText(Path.Combine(spool, Segment + ".tmp"), "arrived");
        File.Move(Path.Combine(spool, Segment + ".tmp"), Path.Combine(spool, Segment));
        var (exit, stderr) = await asked.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(exit == 0, stderr);
        Assert.Equal("arrived", File.ReadAllText(Path.Combine(_pgData.Path, RecoveryXlog)));
    }

    [Fact]
    public void Nothing_is_waited_for_that_will_not_arrive_once_arrival_ends_or_its_process_is_gone()
    {
        var spool = WalSpool.Create(_pgData.Path);
        WalSpool.BeginArrival(spool, [Segment]);
        var restoreCommand = Setting(WalSpool.Settings("exit 3"), "restore_command");

        Assert.Equal(3, Run(restoreCommand, "000000020000000000000006").Exit); // not expected: asked of the configured command at once

        File.WriteAllText(Path.Combine(spool, ".arriving"), "999999999"); // the restore was killed
        Assert.Equal(3, Run(restoreCommand, Segment).Exit);

        WalSpool.BeginArrival(spool, [Segment]);
        WalSpool.EndArrival(spool);
        Assert.Equal(3, Run(restoreCommand, Segment).Exit);
    }

    [Fact]
    public void A_patroni_replicas_spool_moves_into_pg_wal_replacing_the_backups_padded_last_segment_without_the_control_files()
    {
        var spool = WalSpool.Create(_pgData.Path);
        File.WriteAllText(Path.Combine(_pgData.Path, "pg_wal", Segment), "zero-padded");
        File.WriteAllText(Path.Combine(spool, Segment), "complete");
        File.WriteAllText(Path.Combine(spool, "00000002.history"), "1\t0/5000000\tno recovery target specified\n");
        WalSpool.BeginArrival(spool, [Segment]);

        WalSpool.MoveIntoPgWal(_pgData.Path);

        Assert.False(Directory.Exists(spool));
        Assert.Equal("complete", File.ReadAllText(Path.Combine(_pgData.Path, "pg_wal", Segment)));
        Assert.True(File.Exists(Path.Combine(_pgData.Path, "pg_wal", "00000002.history")));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_pgData.Path, "pg_wal"), ".*"));
    }

    /// <summary>The value of <paramref name="name"/> as PostgreSQL reads it from postgresql.auto.conf.</summary>
    private static string Setting(IEnumerable<string> settings, string name)
    {
        var line = settings.Single(s => s.StartsWith(name + " = '", StringComparison.Ordinal));
        Assert.EndsWith("'", line);
        var quoted = line[(name.Length + 4)..^1];
        Assert.DoesNotMatch("(?<!')'(?!')", quoted.Replace("''", "", StringComparison.Ordinal));
        return quoted.Replace("''", "'", StringComparison.Ordinal);
    }

    private (int Exit, string Stderr) Run(string command, string fileName)
    {
        var psi = new ProcessStartInfo("/bin/sh") { WorkingDirectory = _pgData.Path, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command.Replace("%f", fileName, StringComparison.Ordinal).Replace("%p", RecoveryXlog, StringComparison.Ordinal));
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stderr);
    }
}
