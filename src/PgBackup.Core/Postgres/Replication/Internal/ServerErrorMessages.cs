using PgBackup.Errors;

namespace PgBackup.Postgres.Replication.Internal;

/// <summary>
/// Turns an ErrorResponse into the one line a user reads, with what to do about it. The server's
/// own error travels along as the inner exception.
/// </summary>
internal static class ServerErrorMessages
{
    /// <param name="command">The replication command the error answers; null while connecting.</param>
    public static PgBackupException Translate(PostgresServerError error, ReplicationConnectionSettings settings, string? command)
    {
        var endpoint = settings.Endpoint;
        var user = settings.User;
        if (command is not null)
            return new OperationFailedException($"{command} on {endpoint} failed: {error.Text} (SQLSTATE {error.SqlState})", error);
        var advice = error.SqlState switch
        {
            "28P01" => $"{error.Text} on {endpoint}; check the password that connection.password_env or connection.password_file of the policy gives, and the pg_hba.conf line for {user} on every member",
            "28000" when error.MessageText.Contains("pg_hba.conf", StringComparison.Ordinal) =>
                $"{endpoint} has no pg_hba.conf entry for a replication connection of user \"{user}\" from this host ({error.Text}); add a \"host replication {user} <this host>/32 scram-sha-256\" line on every member and reload",
            "42501" => $"user \"{user}\" may not open replication connections on {endpoint} ({error.Text}); run ALTER ROLE \"{user}\" REPLICATION on the primary",
            "53300" => $"{endpoint} has no free connection or walsender slot ({error.Text}); raise max_wal_senders (or max_connections), or stop idle replication clients, then retry",
            "57P03" => $"{endpoint} is not accepting connections yet ({error.Text}); wait until it has started, or use another member",
            _ => null,
        };
        return new SourceUnavailableException(
            advice ?? $"{endpoint} refused the replication connection of user \"{user}\": {error.Text} (SQLSTATE {error.SqlState})", error);
    }
}
