using PgBackup.Repository.Catalog;

namespace PgBackup.Tests.Unit.Repository.Catalog;

/// <summary>What an incremental's manifest must be before restore or expire trusts its references.</summary>
public sealed class ManifestChainConsistencyFacts
{
    private static readonly BackupManifest Incr = ManifestSamples.ClientCompressed with
    {
        Type = BackupType.Incr, Reference = "20261130T100000Z",
        Packs = [.. ManifestSamples.ClientCompressed.Packs, new StoredObject("data/000001.pack", 6500, new string('e', 64), "20261130T100000Z")],
    };

    [Fact]
    public void A_consistent_incremental_has_no_problem()
    {
        Assert.Null(ManifestConsistency.FirstProblem(Incr));
        Assert.Equal(["20261130T100000Z"], Incr.DependsOn);
    }

    [Theory]
    [InlineData("forged owner", "'../../other' is not a backup id")]
    [InlineData("own id", "names its own backup as an earlier one")]
    [InlineData("no reference", "the incr backup names no reference")]
    [InlineData("full with reference", "a full backup names a reference")]
    [InlineData("full reusing packs", "a full backup reuses packs of other backups")]
    public void A_damaged_chain_record_is_named(string case_, string problem)
    {
        var reused = Incr.Packs[1];
        var damaged = case_ switch
        {
            "forged owner" => Incr with { Packs = [Incr.Packs[0], reused with { Backup = "../../other" }] },
            "own id" => Incr with { Packs = [Incr.Packs[0], reused with { Backup = Incr.Id }] },
            "no reference" => Incr with { Reference = null },
            "full with reference" => Incr with { Type = BackupType.Full },
            _ => Incr with { Type = BackupType.Full, Reference = null },
        };
        Assert.Contains(problem, ManifestConsistency.FirstProblem(damaged), StringComparison.Ordinal);
    }
}
