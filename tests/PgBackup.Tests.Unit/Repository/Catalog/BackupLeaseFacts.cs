using System.Diagnostics;
using PgBackup.Repository.Catalog;

namespace PgBackup.Tests.Unit.Repository.Catalog;

public sealed class BackupLeaseFacts
{
    [Fact]
    public void A_lease_of_this_live_process_is_not_dead()
    {
        Assert.False(BackupLease.ForThisProcess().IsDead(DateTimeOffset.UtcNow));
    }

    /// <summary>
    /// A backup killed with kill -9 stays a zombie until its parent reaps it: the next backup must
    /// still see its lease as dead and remove its debris. The shell's background `sleep 0.1`
    /// becomes a zombie its parent (exec'd into `sleep 3`) never reaps.
    /// </summary>
    [Fact]
    public async Task A_lease_of_a_killed_process_its_parent_has_not_reaped_is_dead()
    {
        var psi = new ProcessStartInfo("sh", ["-c", "sleep 0.1 & echo $!; exec sleep 3"]) { RedirectStandardOutput = true };
        using var parent = Process.Start(psi)!;
        var pid = int.Parse((await parent.StandardOutput.ReadLineAsync())!, System.Globalization.CultureInfo.InvariantCulture);
        DateTimeOffset started;
        using (var child = Process.GetProcessById(pid)) started = child.StartTime.ToUniversalTime();
        await Task.Delay(500);

        Assert.Contains(") Z ", File.ReadAllText($"/proc/{pid}/stat"));
        Assert.True(new BackupLease(Environment.MachineName, pid, started, DateTimeOffset.UtcNow).IsDead(DateTimeOffset.UtcNow));
        parent.Kill();
    }
}
