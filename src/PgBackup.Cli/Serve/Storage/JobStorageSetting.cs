using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.Storage.SQLite;
using PgBackup.Errors;

namespace PgBackup.Cli.Serve.Storage;

/// <summary>
/// Where Hangfire keeps jobs and history: `sqlite:PATH` (embedded, the default) or PostgreSQL with
/// the connection string from `postgres:env:VAR` or `postgres:file:PATH` — never on the command
/// line, where ps shows it to every user of the host.
/// </summary>
internal sealed record JobStorageSetting(string? SqlitePath, string? PostgresConnectionString, string Description)
{
    public const string DefaultValue = "sqlite:pgbackup-serve.db";

    /// <summary>The default poll interval of both storages is 15 s; a triggered backup should start within a second or two.</summary>
    public static readonly TimeSpan QueuePollInterval = TimeSpan.FromSeconds(1);

    public static JobStorageSetting Parse(string value)
    {
        if (value.StartsWith("sqlite:", StringComparison.Ordinal) && value.Length > "sqlite:".Length)
        {
            var path = Path.GetFullPath(value["sqlite:".Length..]);
            return new JobStorageSetting(path, null, "sqlite " + path);
        }
        if (value.StartsWith("postgres:env:", StringComparison.Ordinal))
        {
            var variable = value["postgres:env:".Length..];
            var cs = Environment.GetEnvironmentVariable(variable);
            return string.IsNullOrWhiteSpace(cs)
                ? throw new UsageException($"--storage {value}: environment variable {variable} is not set; put the PostgreSQL connection string in it")
                : new JobStorageSetting(null, cs, $"postgres (connection string from env {variable})");
        }
        if (value.StartsWith("postgres:file:", StringComparison.Ordinal))
        {
            var file = value["postgres:file:".Length..];
            try
            {
                var cs = File.ReadAllText(file).Trim();
                return cs.Length == 0
                    ? throw new UsageException($"--storage {value}: {file} is empty; put the PostgreSQL connection string in it")
                    : new JobStorageSetting(null, cs, $"postgres (connection string from file {file})");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"--storage {value}: cannot read {file}: {e.Message}");
            }
        }
        // Deliberately does not echo the value: it may be a connection string with a password.
        throw new UsageException("--storage takes sqlite:PATH, postgres:env:VARIABLE or postgres:file:PATH (a connection string never goes on the command line)");
    }

    public IGlobalConfiguration Configure(IGlobalConfiguration config) => SqlitePath is not null
        ? config.UseSQLiteStorage(SqlitePath, new SQLiteStorageOptions { QueuePollInterval = QueuePollInterval })
        : config.UsePostgreSqlStorage(o => o.UseNpgsqlConnection(PostgresConnectionString!),
            new PostgreSqlStorageOptions { QueuePollInterval = QueuePollInterval, PrepareSchemaIfNecessary = true });
}
