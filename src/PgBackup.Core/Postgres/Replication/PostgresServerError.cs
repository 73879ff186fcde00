namespace PgBackup.Postgres.Replication;

/// <summary>
/// An ErrorResponse from the server. It travels as the InnerException of the PgBackupException
/// that reports it, so code can branch on <see cref="SqlState"/> (e.g. 42704: slot does not exist).
/// </summary>
public sealed class PostgresServerError(string severity, string sqlState, string messageText, string? detail, string? hint)
    : Exception($"{severity}: {messageText} (SQLSTATE {sqlState})")
{
    public string Severity { get; } = severity;
    public string SqlState { get; } = sqlState;
    public string MessageText { get; } = messageText;
    public string? Detail { get; } = detail;
    public string? Hint { get; } = hint;

    /// <summary>The message with its DETAIL and HINT, on one line (<see cref="ServerErrorText"/>).</summary>
    public string Text => ServerErrorText.OneLine(MessageText, Detail, Hint);
}
