using PgBackup.Repository.Catalog;
using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Backup;

/// <summary>
/// kill -9 of `pgbackup backup` at any moment leaves nothing listed as complete; `list --all`
/// shows the leftovers as dead; the next backup succeeds and removes them. The kill points are
/// made deterministic by a proxy in front of s3rver that kills the process just before a given
/// request reaches the store. An incremental killed at any point leaves its full intact: the
/// debris cleanup removes only the dead backup's own objects, verify passes, and the next
/// incremental builds on the full.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class BackupKillFacts(SandboxFixture fixture, ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    private readonly BackupTestbed _bed = new(fixture);

    [Fact]
    public Task Kill_right_after_the_lease_is_written_leaves_dead_debris_that_the_next_backup_removes() =>
        KillAndRecoverAsync(trip: null, storedBeforeKill: ["lease.json"]);

    /// <remarks>Two packs upload at once: the first may still be in flight when the second starts, so only the lease is certain.</remarks>
    [Fact]
    public Task Kill_mid_upload_as_the_second_pack_starts_leaves_dead_debris_that_the_next_backup_removes() =>
        KillAndRecoverAsync(trip: "/data/000002.pack", storedBeforeKill: ["lease.json"]);

    [Fact]
    public Task Kill_just_before_the_manifest_is_written_leaves_dead_debris_that_the_next_backup_removes() =>
        KillAndRecoverAsync(trip: "/manifest.json", storedBeforeKill: ["lease.json", "data/000001.pack", "data/000002.pack", "backup_manifest.zst", "wal/"]);

    /// <remarks>
    /// An incremental of an unchanged database seals its one small pack only after PostgreSQL's
    /// backup_manifest arrived. Only uploads trip: an incremental also reads the full's manifest.json.
    /// </remarks>
    [Theory]
    [InlineData(null, new[] { "lease.json" })]
    [InlineData("/wal/", new[] { "lease.json" })]
    [InlineData("/backup_manifest.zst", new[] { "lease.json" })]
    [InlineData("/data/000001.pack", new[] { "lease.json", "backup_manifest.zst" })]
    [InlineData("/manifest.json", new[] { "lease.json", "data/000001.pack", "backup_manifest.zst", "wal/" })]
    public Task Kill_of_an_incremental_leaves_its_full_intact_and_the_next_incremental_builds_on_it(string? trip, string[] storedBeforeKill) =>
        KillAndRecoverAsync(trip, storedBeforeKill, type: "incr");

    /// <param name="trip">The object path whose upload the kill pre-empts; null: kill as soon as the lease exists.</param>
    /// <param name="storedBeforeKill">Keys (relative to the backup's folder; a trailing '/' means "some key below") that must have been stored.</param>
    /// <param name="type">The killed backup's --type; an incr is taken after a full, which must survive untouched.</param>
    private async Task KillAndRecoverAsync(string? trip, string[] storedBeforeKill, string type = "full")
    {
        await _bed.DatasetAsync();
        var prefix = BackupTestbed.UniquePrefix("kill");
        // Client-side chunks: the data set fills several packs, so "the second pack" is a moment that exists.
        var direct = _bed.S3Policy(prefix, compression: "client");
        string[] kept = [];
        if (type == "incr")
        {
            var full = await PgBackupCli.RunAsync("backup", "--policy", direct, "--type", "full");
            Assert.True(full.ExitCode == 0, full.ToString());
            kept = [.. (await BackupTestbed.ListAsync(direct)).Select(b => b.GetProperty("id").GetString()!)];
        }
        RunningCli? victim = null;
        await using var proxy = new TripwireProxy(_bed.Endpoints.S3Url, trip ?? "\0never\0", () => victim!.Kill9(), method: type == "incr" ? "PUT" : null);
        var viaProxy = _bed.S3Policy(prefix, proxy.Url, compression: "client");

        using (victim = PgBackupCli.Start("backup", "--policy", viaProxy, "--type", type))
        {
            if (trip is null)
                await KillOnceALeaseExistsAsync(direct, victim);
            else
                await Task.WhenAny(proxy.Tripped, victim.WaitAsync(Deadline)).Unwrap();
            if (trip is not null && !proxy.Tripped.IsCompleted)
                Assert.Fail($"the backup ended before it sent {trip}:\n{await victim.WaitAsync(Deadline)}");
            output.WriteLine(victim.Kill9().Stderr);
        }

        Assert.Equal(kept, (await BackupTestbed.ListAsync(direct)).Select(b => b.GetProperty("id").GetString()!));
        var dead = Assert.Single(await BackupTestbed.ListAsync(direct, all: true), b => !kept.Contains(b.GetProperty("id").GetString()));
        Assert.StartsWith("incomplete", dead.GetProperty("status").GetString());
        var deadId = dead.GetProperty("id").GetString()!;
        var debris = await BackupKeysAsync(direct, deadId);
        foreach (var key in storedBeforeKill)
            Assert.Contains(debris, k => key.EndsWith('/') ? k.StartsWith(key, StringComparison.Ordinal) : k == key);
        Assert.DoesNotContain("manifest.json", debris);

        var next = await PgBackupCli.RunAsync("backup", "--policy", direct, "--type", type);
        output.WriteLine(next.Stderr);
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Contains($"Removing debris of dead backup {deadId}", next.Stderr);
        var listed = (await BackupTestbed.ListAsync(direct)).Where(b => !kept.Contains(b.GetProperty("id").GetString())).ToList();
        Assert.NotEqual(deadId, Assert.Single(listed).GetProperty("id").GetString());
        Assert.Equal("complete", listed[0].GetProperty("status").GetString());
        Assert.Equal(kept.Length + 1, (await BackupTestbed.ListAsync(direct, all: true)).Count);
        Assert.Empty(await BackupKeysAsync(direct, deadId));
        if (type == "incr")
        {
            Assert.Contains($"on {kept[0]}", next.Stdout);
            var verify = await PgBackupCli.RunAsync("verify", "--policy", direct, "--all");
            Assert.True(verify.ExitCode == 0, verify.ToString());
        }
    }

    private static async Task KillOnceALeaseExistsAsync(string policy, RunningCli victim)
    {
        using var repository = BackupTestbed.OpenRepository(policy);
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            await foreach (var o in repository.Store.ListAsync(repository.Layout.BackupsPrefix))
            {
                // Listed is not yet written: s3rver lists an object while its body still arrives.
                if (o.Key.EndsWith("/lease.json", StringComparison.Ordinal) && repository.Layout.BackupIdOf(o.Key) is { } id
                    && await BackupLease.ReadAsync(repository, id, CancellationToken.None) is not null)
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
