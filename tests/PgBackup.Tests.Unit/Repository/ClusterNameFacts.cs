using PgBackup.Errors;
using PgBackup.Policies;
using PgBackup.Postgres.Replication;
using PgBackup.Repository;
using PgBackup.Tests.Unit.Policies;

namespace PgBackup.Tests.Unit.Repository;

public sealed class ClusterNameFacts
{
    private static readonly string Longest = "c" + new string('x', 53);

    [Theory]
    [InlineData("main", "pgbackup_main")]
    [InlineData("Pg-Prod_1", "pgbackup_pg_prod_1")]
    [InlineData("9x", "pgbackup_9x")]
    public void A_valid_name_derives_the_archiver_slot(string cluster, string slot)
    {
        Assert.True(ClusterName.IsValid(cluster));
        Assert.Equal(slot, ClusterName.ArchiverSlot(cluster));
    }

    [Fact]
    public void The_longest_valid_name_still_makes_a_slot_the_server_accepts()
    {
        Assert.True(ClusterName.IsValid(Longest));
        var slot = ClusterName.ArchiverSlot(Longest);
        Assert.Equal(63, slot.Length);
        Assert.True(ReplicationSlotName.IsValid(slot));
        Assert.False(ClusterName.IsValid(Longest + "x"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-main")]
    [InlineData("_main")]
    [InlineData("a.b")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("main db")]
    [InlineData("mäin")]
    public void A_name_unsafe_in_keys_or_slots_is_refused_by_the_layout_too(string cluster)
    {
        Assert.False(ClusterName.IsValid(cluster));
        Assert.Throws<ArgumentException>(() => ClusterName.ArchiverSlot(cluster));
        Assert.Throws<ArgumentException>(() => new RepositoryLayout(cluster));
    }

    [Theory]
    [InlineData("pgbackup_main", true)]
    [InlineData("a", true)]
    [InlineData("", false)]
    [InlineData("Main", false)]
    [InlineData("pg-main", false)]
    [InlineData("main;drop", false)]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true)]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false)]
    public void Slot_names_follow_the_server_rule(string slot, bool valid)
    {
        Assert.Equal(valid, ReplicationSlotName.IsValid(slot));
    }

    [Fact]
    public void The_policy_loader_refuses_a_name_too_long_for_a_slot_at_its_line()
    {
        var yaml = "# a policy\n" + PolicyLoaderFacts.Minimal.Replace("cluster: main", $"cluster: {Longest}x");
        var e = Assert.Throws<UsageException>(() => PolicyLoader.Parse("p.yaml", yaml));
        Assert.Equal($"p.yaml:2: cluster: '{Longest}x' must be 1-54 letters, digits, '-' or '_', starting with a letter or digit (it names the repository folder and the slot pgbackup_<cluster>)", e.Message);
    }

    [Fact]
    public void The_policy_loader_refuses_an_invalid_explicit_slot_name()
    {
        var yaml = PolicyLoaderFacts.Minimal + "\narchive:\n  slot_name: Main-Slot\n";
        var e = Assert.Throws<UsageException>(() => PolicyLoader.Parse("p.yaml", yaml));
        Assert.Equal("p.yaml:10: archive.slot_name: 'Main-Slot' is not a valid slot name (1-63 characters of a-z, 0-9 and _)", e.Message);
    }
}
