using System.Globalization;
using PgBackup.Errors;
using PgBackup.IO;

namespace PgBackup.TableRecovery;

/// <summary>
/// The live cluster's database the tables are loaded into, reached with psql and the operator's
/// own connection string (libpq's: key=value pairs or a postgresql:// URI). Host, port and
/// database default to the Patroni leader and --database, through libpq's environment, so the
/// connection string may name only the role. Its password comes from ~/.pgpass or PGPASSWORD,
/// never from the command line, where every user of the host would read it.
/// </summary>
internal sealed partial class LiveDatabase
{
    private readonly string _psql;
    private readonly string _connection;
    private readonly Dictionary<string, string> _environment;

    public LiveDatabase(string pgBin, string connection, string database, string? leaderHost, int? leaderPort)
    {
        if (PasswordKeyword().IsMatch(connection) || UriHasPassword(connection))
            throw new UsageException("--into must not carry a password (it would show in the process list); put it in ~/.pgpass or PGPASSWORD");
        _psql = Path.Combine(pgBin, "psql");
        _connection = connection;
        _environment = new Dictionary<string, string> { ["PGDATABASE"] = database, ["PGAPPNAME"] = "pgbackup-restore-table" };
        if (leaderHost is not null) _environment["PGHOST"] = leaderHost;
        if (leaderPort is not null) _environment["PGPORT"] = leaderPort.Value.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Where it connects, for the plan and the report (the user's string and the defaults it falls back on).</summary>
    public string Describe => $"'{_connection}'" + (_environment.TryGetValue("PGHOST", out var host) ? $" (default host {host}:{_environment.GetValueOrDefault("PGPORT", "5432")}, the leader)" : "");

    /// <summary>Refuses, before anything is restored, destinations whose schema does not exist, and (unless replacing) those that exist already.</summary>
    public void RequireFree(IReadOnlyList<TableName> destinations, bool replace)
    {
        var taken = new List<string>();
        foreach (var d in destinations)
        {
            var state = Query($"SELECT CASE WHEN to_regnamespace({Literal(TableName.Quote(d.Schema))}) IS NULL THEN 'no schema' WHEN to_regclass({Literal(d.Sql)}) IS NOT NULL THEN 'exists' ELSE 'free' END");
            if (state == "no schema") taken.Add($"{d} (schema {d.Schema} does not exist there)");
            else if (state == "exists" && !replace) taken.Add($"{d} (exists)");
        }
        if (taken.Count > 0)
            throw new UsageException($"cannot restore into {string.Join(", ", taken)} in {Describe}: give --as with a free name (e.g. --as recovered_*), or --replace to drop and replace it; nothing was restored");
    }

    /// <summary>
    /// Runs the dump in one transaction, after <paramref name="drops"/> (DROP statements of what it
    /// replaces) in it: all of it or, on any error, nothing (an object that others depend on, a view
    /// or a foreign key, is not dropped from under them: the drop fails, and with it the load).
    /// </summary>
    public void Load(string dumpFile, IReadOnlyList<string> drops)
    {
        var (code, output) = ChildProcess.Run(_psql, ["--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1", "--single-transaction",
            .. drops.SelectMany(sql => new[] { "--command", sql }), "--file", dumpFile, _connection], _environment);
        if (code != 0)
            throw new OperationFailedException($"loading the tables into {Describe} failed, nothing was loaded (one transaction): {LastLine(output)}");
    }

    public long Count(TableName table) => long.Parse(Query($"SELECT count(*) FROM {table.Sql}"), CultureInfo.InvariantCulture);

    private string Query(string sql)
    {
        var (code, output) = ChildProcess.Run(_psql, ["--no-psqlrc", "--no-align", "--tuples-only", "--set", "ON_ERROR_STOP=1", "--command", sql, _connection], _environment);
        return code == 0 ? output.Trim() : throw new SourceUnavailableException($"cannot query {Describe}: {LastLine(output)}");
    }

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static string LastLine(string output) => output.Trim().Split('\n').LastOrDefault()?.Trim() ?? "";

    /// <summary>libpq's password keyword, as a key=value pair or a URI query parameter (not a name that merely contains the word).</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"(^|[\s?&])password\s*=", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex PasswordKeyword();

    private static bool UriHasPassword(string connection) =>
        Uri.TryCreate(connection, UriKind.Absolute, out var uri) && uri.Scheme is "postgresql" or "postgres" && uri.UserInfo.Contains(':', StringComparison.Ordinal);
}
