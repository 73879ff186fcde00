using PgBackup.Errors;
using PgBackup.TableRecovery;

namespace PgBackup.Tests.Unit.TableRecovery;

public sealed class LiveDatabaseFacts
{
    [Theory]
    [InlineData("user=postgres password=secret")]
    [InlineData("host=db PASSWORD='x y'")]
    [InlineData("postgresql://postgres:secret@db:5432/app")]
    [InlineData("postgresql://postgres@db/app?password=secret")]
    public void A_password_in_the_connection_string_is_refused_before_it_reaches_a_process_list(string connection)
    {
        var e = Assert.Throws<UsageException>(() => new LiveDatabase("/usr/bin", connection, "postgres", null, null));
        Assert.StartsWith("--into must not carry a password", e.Message);
    }

    [Theory]
    [InlineData("user=password_admin dbname=passwords")]
    [InlineData("postgresql://postgres@db/passwords")]
    [InlineData("user=postgres passfile=/root/.pgpass")]
    public void A_name_that_merely_contains_the_word_is_no_password(string connection) =>
        Assert.Contains(connection, new LiveDatabase("/usr/bin", connection, "postgres", null, null).Describe);

    [Fact]
    public void Host_and_port_default_to_the_leader() =>
        Assert.Equal("'user=postgres' (default host 10.0.0.2:5433, the leader)", new LiveDatabase("/usr/bin", "user=postgres", "postgres", "10.0.0.2", 5433).Describe);
}
