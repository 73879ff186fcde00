using Microsoft.Extensions.Logging.Abstractions;
using PgBackup.Restore;

namespace PgBackup.Tests.Unit.Restore;

/// <summary>Scratch copies of killed runs are found by the owner lock nobody holds; live, kept and named ones are left alone.</summary>
public sealed class ScratchCopyFacts : IDisposable
{
    private readonly string _prefix = $"pgbackup-unit-{Guid.NewGuid():N}-";

    [Fact]
    public void Only_a_directory_whose_owner_lock_is_free_is_removed()
    {
        var live = ScratchCopy.Create(null, _prefix);
        // What a killed run leaves: its directory and owner file, the lock gone with its process.
        var killed = Directory.CreateTempSubdirectory(_prefix).FullName;
        File.WriteAllText(Path.Combine(killed, ScratchCopy.OwnerFile), "");
        File.WriteAllText(Path.Combine(killed, "pgdata-file"), "left behind");
        var kept = ScratchCopy.Create(null, _prefix);
        kept.Keep();
        var beingMade = Directory.CreateTempSubdirectory(_prefix).FullName; // no owner file yet: a run still making it

        ScratchCopy.RemoveAbandoned(_prefix, pgBin: null, osUser: null, NullLogger.Instance);

        Assert.False(Directory.Exists(killed));
        Assert.True(Directory.Exists(live.Directory));
        Assert.True(Directory.Exists(kept.Directory));
        Assert.True(Directory.Exists(beingMade));
        live.CleanUp(null, NullLogger.Instance, "test");
        Assert.False(Directory.Exists(live.Directory));
    }

    [Fact]
    public void A_directory_the_operator_named_has_no_owner_file_to_be_found_by()
    {
        var named = Path.Combine(Path.GetTempPath(), _prefix + "named");
        var copy = ScratchCopy.Create(named, _prefix);
        Assert.Empty(Directory.GetFileSystemEntries(copy.Directory));
        copy.CleanUp(null, NullLogger.Instance, "test");
    }

    public void Dispose()
    {
        foreach (var dir in Directory.GetDirectories(Path.GetTempPath(), _prefix + "*"))
            Directory.Delete(dir, recursive: true);
    }
}
