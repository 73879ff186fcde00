using PgBackup.Cluster;
using PgBackup.Policies;
using PgBackup.Postgres.Replication;
using PgBackup.Tests.Unit.Policies;

namespace PgBackup.Tests.Unit.Postgres.Replication;

public sealed class SslModeFacts
{
    [Theory]
    [InlineData("disable", SslMode.Disable, "Disable")]
    [InlineData("prefer", SslMode.Prefer, "Prefer")]
    [InlineData("require", SslMode.Require, "Require")]
    [InlineData("verify-ca", SslMode.VerifyCA, "VerifyCA")]
    [InlineData("verify-full", SslMode.VerifyFull, "VerifyFull")]
    public void A_policy_sslmode_reaches_the_replication_client_and_npgsql_as_the_same_mode(string name, SslMode mode, string npgsql)
    {
        var policy = PolicyLoader.Parse("p.yaml", PolicyLoaderFacts.Minimal.Replace("  user: pgbackup", "  user: pgbackup\n  sslmode: " + name));
        Assert.Equal(mode, policy.Replication("h", 5432).SslMode);
        Assert.Contains($"SSL Mode={npgsql}", new MemberProbe(policy.Connection).ConnectionString("h", 5432));
        Assert.Equal(name, mode.Name());
    }

    [Fact]
    public void Names_are_libpq_spelling_only()
    {
        Assert.Equal(["disable", "prefer", "require", "verify-ca", "verify-full"], SslModes.Names);
        Assert.Throws<ArgumentException>(() => SslModes.Parse("VerifyFull"));
    }

    [Fact]
    public void Settings_print_the_mode_as_a_policy_writes_it()
    {
        var settings = new ReplicationConnectionSettings { Host = "h", User = "u", Password = "secret", SslMode = SslMode.VerifyFull };
        Assert.Equal("u@h:5432 (sslmode=verify-full)", settings.ToString());
    }
}
