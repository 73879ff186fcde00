namespace PgBackup.Cli.Json;

/// <summary>An /api answer that has no data to give: {"error": "..."}.</summary>
internal sealed record ApiErrorJson(string Error);
