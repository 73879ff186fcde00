using Npgsql;
using PgBackup.Cluster;
using PgBackup.Errors;
using PgBackup.Policies;

namespace PgBackup.Tests.Unit.Cluster;

public sealed class MemberProbeFacts
{
    private static readonly MemberProbe Probe = new(new ConnectionSettings("pgbackup", null, "postgres", PgBackup.Postgres.Replication.SslMode.Prefer, null, TimeSpan.FromSeconds(5)));

    private static SourceUnavailableException Failure(string sqlState, string text) =>
        new("SQL probe failed", new PostgresException(text, "FATAL", "FATAL", sqlState));

    [Theory]
    [InlineData("28P01", "password authentication failed for user \"pgbackup\"")]
    [InlineData("28000", "no pg_hba.conf entry for host \"10.0.0.9\", user \"pgbackup\", database \"postgres\", no encryption")]
    public void A_refused_login_names_the_member_the_user_and_what_to_check(string sqlState, string text)
    {
        var line = Probe.LoginRefusal(Failure(sqlState, text), "m1", "10.0.0.11", 5432);
        Assert.NotNull(line);
        Assert.StartsWith("m1 (10.0.0.11:5432) refused the login of user \"pgbackup\": " + text, line);
        Assert.Contains("password_env", line);
        Assert.Contains("password_file", line);
        Assert.Contains("pg_hba.conf", line);
    }

    [Fact]
    public void Other_failures_are_not_login_refusals()
    {
        Assert.Null(Probe.LoginRefusal(Failure("57P03", "the database system is starting up"), "m1", "h", 5432));
        Assert.Null(Probe.LoginRefusal(new SourceUnavailableException("timeout", new TimeoutException()), "m1", "h", 5432));
    }
}
