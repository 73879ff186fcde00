using System.Text.Json;
using PgBackup.Policies;
using PgBackup.Repository.Catalog;
using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Incremental;

/// <summary>
/// Incremental and differential backups against the live sandbox: every backup of a chain
/// restores (with --start) to exactly the data of its moment, a point in time between two
/// incrementals lands exactly, an incremental of an unchanged database stores almost nothing, and
/// verify reads every block reference of the chain.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class IncrementalFacts(IncrementalChain chain, ITestOutputHelper output) : IClassFixture<IncrementalChain>
{
    [Theory]
    [InlineData("full")]
    [InlineData("unchanged")]
    [InlineData("incr1")]
    [InlineData("incr2")]
    [InlineData("diff")]
    public async Task Each_backup_of_the_chain_restores_to_exactly_the_data_of_its_moment(string step)
    {
        await using var restored = new RestoredDirectory();
        await RestoreAndStartAsync(restored, "--backup", chain.Ids[step], "--immediate");
        Assert.Equal(chain.Checksums[step], Assert.Single(await restored.QueryAsync(IncrementalChain.ChecksumSql)));
    }

    [Fact]
    public async Task A_point_in_time_between_two_incrementals_lands_exactly()
    {
        await using var restored = new RestoredDirectory();
        await RestoreAndStartAsync(restored, "--backup", chain.Ids["incr1"], "--time", chain.BetweenIncrementals);
        Assert.Equal(chain.Checksums["between"], Assert.Single(await restored.QueryAsync(IncrementalChain.ChecksumSql)));
    }

    [Fact]
    public async Task An_incremental_of_an_unchanged_database_stores_under_one_percent_of_its_full()
    {
        var full = await StoredBytesAsync(chain.Ids["full"]);
        var unchanged = await StoredBytesAsync(chain.Ids["unchanged"]);
        output.WriteLine($"full {full} bytes, unchanged incr {unchanged} bytes ({100.0 * unchanged / full:0.00}%)");
        Assert.True(unchanged * 100 < full, $"the unchanged incremental stores {unchanged} bytes, the full {full}");
    }

    [Fact]
    public async Task Incrementals_reuse_the_blocks_of_their_reference_and_name_what_they_build_on()
    {
        using var repository = PolicyLoader.Load(chain.Policy.Path).OpenRepository();
        var incr2 = await BackupCatalog.ReadManifestAsync(repository, chain.Ids["incr2"], default);
        var diff = await BackupCatalog.ReadManifestAsync(repository, chain.Ids["diff"], default);
        Assert.Equal(chain.Ids["incr1"], incr2.Reference);
        Assert.Equal(chain.Ids["full"], diff.Reference);
        // An incr reads blocks of every earlier link that still holds some; a diff only of its full.
        Assert.Contains(chain.Ids["full"], incr2.DependsOn);
        Assert.Equal([chain.Ids["full"]], diff.DependsOn);
    }

    [Fact]
    public async Task List_shows_each_backups_type_reference_and_chain()
    {
        var incr2 = await ListedAsync(chain.Ids["incr2"]);
        Assert.Equal("incr", incr2.GetProperty("type").GetString());
        Assert.Equal(chain.Ids["incr1"], incr2.GetProperty("reference").GetString());
        Assert.Equal(4, incr2.GetProperty("chain").GetInt32()); // full ← unchanged ← incr1 ← incr2
        var diff = await ListedAsync(chain.Ids["diff"]);
        Assert.Equal("diff", diff.GetProperty("type").GetString());
        Assert.Equal(2, diff.GetProperty("chain").GetInt32());
        Assert.Equal(1, (await ListedAsync(chain.Ids["full"])).GetProperty("chain").GetInt32());
    }

    [Fact]
    public async Task Verify_all_reads_every_block_reference_of_the_chain_and_passes()
    {
        var run = await PgBackupCli.RunAsync(["verify", "--policy", chain.Policy.Path, "--all"], ChainRestore.Timeout);
        output.WriteLine(run.ToString());
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(chain.Ids.Count, run.Stdout.Split('\n').Count(l => l.StartsWith("backup ", StringComparison.Ordinal) && l.EndsWith(": ok", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Verify_all_reads_what_the_chain_shares_once()
    {
        var all = await BytesReadAsync("--all");
        // The full is verified first (oldest first) and proves the packs and chunks its incrementals reuse, so with --all
        // each incremental reads less than verifying it alone does, which reads every chunk it points at. (Not a fixed
        // fraction of the full: a backup's own WAL segments, read whole, may weigh more than a small full's packs.)
        foreach (var (step, id) in chain.Ids.Where(s => s.Key != "full"))
        {
            var alone = (await BytesReadAsync(id))[id];
            output.WriteLine($"{step} {id}: {all[id]} bytes read with --all, {alone} alone");
            Assert.True(all[id] < alone, $"{step} read {all[id]} bytes with --all and {alone} alone: what the full proved was read again");
        }
    }

    /// <summary>Bytes each verified backup read, from `verify --json` with <paramref name="what"/> (an id or --all).</summary>
    private async Task<Dictionary<string, long>> BytesReadAsync(string what)
    {
        var run = await PgBackupCli.RunAsync(["verify", "--policy", chain.Policy.Path, what, "--json"], ChainRestore.Timeout);
        Assert.True(run.ExitCode == 0, run.ToString());
        return JsonDocument.Parse(run.Stdout).RootElement.GetProperty("backups").EnumerateArray()
            .ToDictionary(b => b.GetProperty("backupId").GetString()!, b => b.GetProperty("bytesRead").GetInt64());
    }

    private Task RestoreAndStartAsync(RestoredDirectory into, params string[] target) =>
        ChainRestore.RestoreAndStartAsync(chain.Policy.Path, into, output, target);

    /// <summary>Bytes under the backup's own folder: what it added to the repository.</summary>
    private async Task<long> StoredBytesAsync(string id) => (await ListedAsync(id)).GetProperty("storedSize").GetInt64();

    /// <summary>The backup's row of `list --json`.</summary>
    private async Task<JsonElement> ListedAsync(string id)
    {
        var run = await PgBackupCli.RunAsync("list", "--policy", chain.Policy.Path, "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        return JsonDocument.Parse(run.Stdout).RootElement.EnumerateArray().Single(b => b.GetProperty("id").GetString() == id);
    }
}
