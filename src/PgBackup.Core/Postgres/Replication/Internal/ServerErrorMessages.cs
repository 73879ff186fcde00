using PgBackup.Errors;

namespace PgBackup.Postgres.Replication.Internal;

/// <summary>
/// Turns an ErrorResponse into the one line a user reads, with what to do about it. The server's
/// own error travels along as the inner exception.
/// </summary>
internal static class ServerErrorMessages
{
    public static PgBackupException Translate(PostgresServerError error, ReplicationConnector connector, bool connecting)
    {
        var endpoint = connector.Settings.Endpoint;
        var user = connector.Settings.User;
        if (!connecting)
            return new OperationFailedException($"{connector.CurrentCommand} on {endpoint} failed: {error.MessageText} (SQLSTATE {error.SqlState})", error);
        var advice = error.SqlState switch
        {
            "28P01" => $"password authentication failed for user \"{user}\" on {endpoint}; check the password that connection.password_env or connection.password_file of the policy gives, and the pg_hba.conf line for {user} on every member",
            "28000" when error.MessageText.Contains("pg_hba.conf", StringComparison.Ordinal) =>
                $"{endpoint} has no pg_hba.conf entry for a replication connection of user \"{user}\" from this host ({error.MessageText}); add a \"host replication {user} <this host>/32 scram-sha-256\" line on every member and reload",
            "42501" => $"user \"{user}\" may not open replication connections on {endpoint} ({error.MessageText}); run ALTER ROLE \"{user}\" REPLICATION on the primary",
            "53300" => $"{endpoint} has no free connection or walsender slot ({error.MessageText}); raise max_wal_senders (or max_connections), or stop idle replication clients, then retry",
            "57P03" => $"{endpoint} is not accepting connections yet ({error.MessageText}); wait until it has started, or use another member",
            _ => null,
        };
        return new SourceUnavailableException(
            advice ?? $"{endpoint} refused the replication connection of user \"{user}\": {error.MessageText} (SQLSTATE {error.SqlState})", error);
    }
}
