using System.Text;
using Npgsql;
using PgBackup.Cluster;
using PgBackup.Errors;
using PgBackup.Policies;
using PgBackup.Postgres;
using PgBackup.Postgres.Replication;
using PgBackup.Postgres.Replication.Internal;

namespace PgBackup.Tests.Unit.Postgres;

/// <summary>The server's DETAIL and HINT reach the one-line error, from our replication client and from Npgsql.</summary>
public sealed class ServerErrorTextFacts
{
    private static readonly ReplicationConnectionSettings Settings = new() { Host = "10.0.0.11", User = "pgbackup" };

    /// <summary>An ErrorResponse payload as the server frames it: typed, NUL-terminated fields, then a NUL.</summary>
    private static PostgresServerError Parse(params (char Field, string Value)[] fields)
    {
        var payload = new List<byte>();
        foreach (var (field, value) in fields)
        {
            payload.Add((byte)field);
            payload.AddRange(Encoding.UTF8.GetBytes(value));
            payload.Add(0);
        }
        payload.Add(0);
        return ErrorResponseParser.Parse(payload.ToArray());
    }

    [Fact]
    public void A_message_without_detail_or_hint_is_itself() =>
        Assert.Equal("replication slot \"x\" does not exist", ServerErrorText.OneLine("replication slot \"x\" does not exist", null, ""));

    [Fact]
    public void Detail_and_hint_follow_the_message_on_one_line()
    {
        var line = ServerErrorText.OneLine("could not open file", "first line\nsecond line", "Check the disk.\n");
        Assert.Equal("could not open file (detail: first line second line; hint: Check the disk.)", line);
    }

    [Fact]
    public void A_refused_connection_shows_the_servers_detail()
    {
        var error = Parse(('S', "FATAL"), ('V', "FATAL"), ('C', "57P03"), ('M', "the database system is not yet accepting connections"),
            ('D', "Consistent recovery state has not been yet reached."));

        var e = ServerErrorMessages.Translate(error, Settings, command: null);

        Assert.IsType<SourceUnavailableException>(e);
        Assert.Equal("10.0.0.11:5432 is not accepting connections yet (the database system is not yet accepting connections (detail: Consistent recovery state has not been yet reached.)); wait until it has started, or use another member", e.Message);
    }

    [Fact]
    public void A_failed_command_shows_the_servers_hint()
    {
        var error = Parse(('S', "ERROR"), ('V', "ERROR"), ('C', "55000"), ('M', "replication slots can only be used if max_replication_slots > 0"),
            ('H', "Set max_replication_slots to a positive value."));

        var e = ServerErrorMessages.Translate(error, Settings, "CREATE_REPLICATION_SLOT");

        Assert.Equal("CREATE_REPLICATION_SLOT on 10.0.0.11:5432 failed: replication slots can only be used if max_replication_slots > 0 (hint: Set max_replication_slots to a positive value.) (SQLSTATE 55000)", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_refused_probe_login_shows_npgsqls_hint()
    {
        var probe = new MemberProbe(new ConnectionSettings("pgbackup", null, "postgres", PgBackup.Postgres.Replication.SslMode.Prefer, null, TimeSpan.FromSeconds(5)));
        var refused = new PostgresException("password authentication failed for user \"pgbackup\"", "FATAL", "FATAL", "28P01", hint: "Reset the role's password.");

        var line = probe.LoginRefusal(new SourceUnavailableException("SQL probe failed", refused), "m1", "10.0.0.11", 5432);

        Assert.StartsWith("m1 (10.0.0.11:5432) refused the login of user \"pgbackup\": password authentication failed for user \"pgbackup\" (hint: Reset the role's password.); check", line);
    }
}
