using PgBackup.Tests.Integration.Retention;
using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Incremental;

/// <summary>
/// An incremental whose reference loses an object or vanishes before the incremental is published:
/// it is discarded with one line, nothing new is listed, and it never points at a missing object.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class ReferenceFaultFacts(SandboxFixture sandbox)
{
    [Fact]
    public async Task An_incremental_whose_reference_lost_a_pack_is_discarded_with_one_line_and_the_next_full_is_listed()
    {
        await using var repo = new ArchivedSandbox(sandbox);
        repo.SetCompression("client");
        var full = await repo.BackupAsync("--type", "full");
        File.Delete(Directory.GetFiles(Path.Combine(repo.ClusterRoot, "backups", full, "data")).Order(StringComparer.Ordinal).First());

        var incr = await repo.RunAsync("backup", "--type", "incr");

        Assert.True(incr.ExitCode == 5, incr.ToString());
        Assert.Single(incr.ErrorLines);
        Assert.Contains($"of backup {full}, whose blocks this incremental reuses, is gone or changed", incr.ErrorLines[0]);
        Assert.Equal([full], await ListedAsync(repo));
        var next = await repo.RunAsync("backup", "--type", "full");
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Equal(2, (await ListedAsync(repo)).Count);
    }

    [Fact]
    public async Task An_incremental_whose_reference_is_expired_while_it_runs_is_discarded_and_lists_nothing_new()
    {
        await using var repo = new ArchivedSandbox(sandbox);
        repo.SetCompression("client");
        var full = await repo.BackupAsync("--type", "full");
        var manifest = Path.Combine(repo.ClusterRoot, "backups", full, "manifest.json");

        // The reference's manifest goes as soon as the incremental's lease shows it has chosen it: what an
        // expire run by another host, unaware of the lease, would do.
        var running = repo.RunAsync("backup", "--type", "incr");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!Directory.GetDirectories(Path.Combine(repo.ClusterRoot, "backups")).Any(d => Path.GetFileName(d) != full && File.Exists(Path.Combine(d, "lease.json"))))
        {
            Assert.True(DateTime.UtcNow < deadline && !running.IsCompleted, "the incremental never wrote its lease");
            await Task.Delay(20);
        }
        File.Delete(manifest);
        var incr = await running;

        Assert.True(incr.ExitCode == 5, incr.ToString());
        Assert.Single(incr.ErrorLines);
        Assert.Matches($"backup {full}, which this incremental builds on, vanished|of backup {full}, whose blocks this incremental reuses, is gone", incr.ErrorLines[0]);
        Assert.Empty(await ListedAsync(repo));
    }

    private static async Task<IReadOnlyList<string>> ListedAsync(ArchivedSandbox repo)
    {
        var list = await repo.RunAsync("list", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(list.Stdout);
        return json.RootElement.EnumerateArray().Select(b => b.GetProperty("id").GetString()!).ToList();
    }
}
