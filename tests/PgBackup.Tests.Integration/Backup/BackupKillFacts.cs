using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Backup;

/// <summary>
/// Issue 3: kill -9 of `pgbackup backup` at any moment leaves nothing listed as complete; `list
/// --all` shows the leftovers as dead; the next backup succeeds and removes them. The kill points
/// are made deterministic by a proxy in front of s3rver that kills the process just before a
/// given request reaches the store.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class BackupKillFacts(SandboxFixture fixture, ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    private readonly BackupTestbed _bed = new(fixture);

    [Fact]
    public Task Kill_right_after_the_lease_is_written_leaves_dead_debris_that_the_next_backup_removes() =>
        KillAndRecoverAsync(trip: null, storedBeforeKill: ["lease.json"]);

    [Fact]
    public Task Kill_mid_upload_as_the_second_pack_starts_leaves_dead_debris_that_the_next_backup_removes() =>
        KillAndRecoverAsync(trip: "/data/000002.pack", storedBeforeKill: ["lease.json", "data/000001.pack"]);

    [Fact]
    public Task Kill_just_before_the_manifest_is_written_leaves_dead_debris_that_the_next_backup_removes() =>
        KillAndRecoverAsync(trip: "/manifest.json", storedBeforeKill: ["lease.json", "data/000001.pack", "data/000002.pack", "backup_manifest.zst", "wal/"]);

    /// <param name="trip">The object path whose upload the kill pre-empts; null: kill as soon as the lease exists.</param>
    /// <param name="storedBeforeKill">Keys (relative to the backup's folder; a trailing '/' means "some key below") that must have been stored.</param>
    private async Task KillAndRecoverAsync(string? trip, string[] storedBeforeKill)
    {
        await _bed.DatasetAsync();
        var prefix = BackupTestbed.UniquePrefix("kill");
        // Client-side chunks: the data set fills several packs, so "the second pack" is a moment that exists.
        var direct = _bed.S3Policy(prefix, compression: "client");
        RunningCli? victim = null;
        await using var proxy = new TripwireProxy(_bed.Endpoints.S3Url, trip ?? "\0never\0", () => victim!.Kill9());
        var viaProxy = _bed.S3Policy(prefix, proxy.Url, compression: "client");

        using (victim = PgBackupCli.Start("backup", "--policy", viaProxy))
        {
            if (trip is null)
                await KillOnceALeaseExistsAsync(direct, victim);
            else
                await Task.WhenAny(proxy.Tripped, victim.WaitAsync(Deadline)).Unwrap();
            if (trip is not null && !proxy.Tripped.IsCompleted)
                Assert.Fail($"the backup ended before it sent {trip}:\n{await victim.WaitAsync(Deadline)}");
            output.WriteLine(victim.Kill9().Stderr);
        }

        Assert.Empty(await BackupTestbed.ListAsync(direct));
        var dead = Assert.Single(await BackupTestbed.ListAsync(direct, all: true));
        Assert.StartsWith("incomplete", dead.GetProperty("status").GetString());
        var deadId = dead.GetProperty("id").GetString()!;
        var debris = await BackupKeysAsync(direct, deadId);
        foreach (var key in storedBeforeKill)
            Assert.Contains(debris, k => key.EndsWith('/') ? k.StartsWith(key, StringComparison.Ordinal) : k == key);
        Assert.DoesNotContain("manifest.json", debris);

        var next = await PgBackupCli.RunAsync("backup", "--policy", direct);
        output.WriteLine(next.Stderr);
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Contains($"Removing debris of dead backup {deadId}", next.Stderr);
        var listed = Assert.Single(await BackupTestbed.ListAsync(direct));
        Assert.NotEqual(deadId, listed.GetProperty("id").GetString());
        Assert.Equal("complete", listed.GetProperty("status").GetString());
        Assert.Single(await BackupTestbed.ListAsync(direct, all: true));
        Assert.Empty(await BackupKeysAsync(direct, deadId));
    }

    private static async Task KillOnceALeaseExistsAsync(string policy, RunningCli victim)
    {
        using var repository = BackupTestbed.OpenRepository(policy);
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            await foreach (var o in repository.Store.ListAsync(repository.Layout.BackupsPrefix))
            {
                if (o.Key.EndsWith("/lease.json", StringComparison.Ordinal))
                {
                    victim.Kill9();
                    return;
                }
            }
            Assert.False(victim.HasExited, "the backup ended before its lease was seen");
            Assert.True(DateTime.UtcNow < deadline, "no lease.json appeared");
            await Task.Delay(10);
        }
    }

    /// <summary>Keys of one backup's folder, relative to it.</summary>
    private static async Task<IReadOnlyList<string>> BackupKeysAsync(string policy, string id)
    {
        using var repository = BackupTestbed.OpenRepository(policy);
        var prefix = repository.Layout.BackupPrefix(id);
        var keys = new List<string>();
        await foreach (var o in repository.Store.ListAsync(prefix))
            keys.Add(o.Key[prefix.Length..]);
        return keys;
    }

    public void Dispose() => _bed.Dispose();
}
