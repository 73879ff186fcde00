using Npgsql;
using PgBackup.Errors;
using PgBackup.Postgres;
using PgBackup.Policies;

namespace PgBackup.Cluster;

/// <summary>What a member says about itself over SQL, which beats Patroni's cached view.</summary>
public sealed record ProbeResult(
    bool InRecovery,
    string? ReceiveLsn,
    string? ReplayLsn,
    DateTimeOffset? LastReplayTimestamp,
    string? WalReceiverStatus,
    long? ReplayLagBytes,
    double? ReplayLagSeconds,
    string CurrentLsn);

/// <summary>SQL probes over Npgsql: confirm a replica really replays, and measure lag against the leader.</summary>
public sealed class MemberProbe(ConnectionSettings connection)
{
    public string ConnectionString(string host, int port, string applicationName = "pgbackup") =>
        SqlConnectionStrings.For(host, port, connection.User, connection.Password?.Reveal(), connection.Database,
            connection.SslMode, connection.SslRootCert, connection.ConnectTimeout, applicationName);

    /// <summary>Probes a member; <paramref name="leaderLsn"/> (pg_current_wal_lsn on the leader) turns replay position into lag bytes.</summary>
    public async Task<ProbeResult> ProbeAsync(string host, int port, string? leaderLsn, CancellationToken ct)
    {
        const string sql = """
            SELECT pg_is_in_recovery(),
                   pg_last_wal_receive_lsn()::text,
                   pg_last_wal_replay_lsn()::text,
                   pg_last_xact_replay_timestamp(),
                   (SELECT status FROM pg_stat_wal_receiver),
                   CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END,
                   CASE WHEN $1::pg_lsn IS NULL OR NOT pg_is_in_recovery() THEN NULL
                        ELSE pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())::bigint END,
                   CASE WHEN NOT pg_is_in_recovery() THEN NULL
                        WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                        ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END
            """;
        try
        {
            await using var conn = new NpgsqlConnection(ConnectionString(host, port));
            await conn.OpenAsync(ct).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand(sql, conn);
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)leaderLsn ?? DBNull.Value, DataTypeName = "text" });
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await r.ReadAsync(ct).ConfigureAwait(false);
            var inRecovery = r.GetBoolean(0);
            return new ProbeResult(
                inRecovery,
                r.IsDBNull(1) ? null : r.GetString(1),
                r.IsDBNull(2) ? null : r.GetString(2),
                r.IsDBNull(3) ? null : r.GetFieldValue<DateTimeOffset>(3),
                r.IsDBNull(4) ? null : r.GetString(4),
                r.IsDBNull(6) ? null : Math.Max(0, r.GetInt64(6)),
                r.IsDBNull(7) ? null : Math.Max(0, r.GetDouble(7)),
                inRecovery ? (r.IsDBNull(2) ? "0/0" : r.GetString(2)) : r.GetString(5));
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException && !ct.IsCancellationRequested)
        {
            throw new SourceUnavailableException($"SQL probe of {host}:{port} as {connection.User} failed: {OneLine(e)}", e);
        }
    }

    /// <summary>
    /// The error for a probe that <paramref name="member"/> refused to log in (wrong password, no
    /// pg_hba.conf entry, no such role), or null for any other failure. A refused login is
    /// configuration, the same on every member, so it is reported as itself rather than as "no member qualifies".
    /// </summary>
    public string? LoginRefusal(SourceUnavailableException failure, string member, string host, int port) =>
        failure.InnerException is PostgresException { SqlState: "28P01" or "28000" } refused
            ? $"{member} ({host}:{port}) refused the login of user \"{connection.User}\": {OneLine(refused)}; check the password that connection.password_env or connection.password_file of the policy gives, and that pg_hba.conf on every member admits {connection.User} from this host"
            : null;

    /// <summary>
    /// An Npgsql failure as one line: a server error with its HINT (Npgsql redacts DETAIL unless
    /// asked, as it may hold row values), anything else as its first line.
    /// </summary>
    internal static string OneLine(Exception e) =>
        e is PostgresException pe ? ServerErrorText.OneLine(pe.MessageText, null, pe.Hint) : e.Message.Split('\n')[0].Trim();
}
