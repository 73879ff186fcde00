using Npgsql;
using PgBackup.Restore;

namespace PgBackup.Drill;

/// <summary>
/// Checks on a restored, promoted server: it answers, every connectable database passes
/// pg_amcheck (heap and B-tree indexes, with every heap tuple found in its indexes), and what
/// each database holds, counted. Connects over the Unix socket the restored server listens on.
/// </summary>
internal sealed class RestoredServerChecks(RecoveredServer server, string pgBin, int port, string dbUser)
{
    private static readonly TimeSpan UsableWithin = TimeSpan.FromMinutes(2);

    /// <summary>Waits until the server answers a query; returns when it did, or null if it never did.</summary>
    public async Task<DateTimeOffset?> WaitUsableAsync(CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + UsableWithin;
        while (true)
        {
            try
            {
                await using var connection = await OpenAsync("postgres", ct).ConfigureAwait(false);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
                return DateTimeOffset.UtcNow;
            }
            catch (NpgsqlException) when (DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(200, ct).ConfigureAwait(false);
            }
            catch (NpgsqlException)
            {
                return null;
            }
        }
    }

    public async Task<IReadOnlyList<DrillDatabase>> CountAsync(CancellationToken ct)
    {
        var names = new List<string>();
        await using (var connection = await OpenAsync("postgres", ct).ConfigureAwait(false))
        await using (var command = new NpgsqlCommand("SELECT datname FROM pg_database WHERE datallowconn ORDER BY datname", connection))
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
            while (await reader.ReadAsync(ct).ConfigureAwait(false)) names.Add(reader.GetString(0));
        var databases = new List<DrillDatabase>();
        foreach (var name in names)
        {
            await using var connection = await OpenAsync(name, ct).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("""
                SELECT count(*),
                       count(*) FILTER (WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'),
                       pg_database_size(current_database())
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                """, connection);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await reader.ReadAsync(ct).ConfigureAwait(false);
            databases.Add(new DrillDatabase(name, reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2)));
        }
        return databases;
    }

    /// <summary>pg_amcheck over every connectable database; amcheck is installed where missing (the copy is promoted and disposable).</summary>
    public DrillCheck AmCheck()
    {
        var (exitCode, output) = server.RunAsServerUser(Path.Combine(pgBin, "pg_amcheck"),
            ["--all", "--heapallindexed", "--install-missing", "--host", "/tmp", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--username", dbUser, "--no-password"]);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return exitCode == 0
            ? new DrillCheck("amcheck", true, "pg_amcheck --all --heapallindexed: no corruption found")
            : new DrillCheck("amcheck", false, $"pg_amcheck exited {exitCode}: {string.Join(" | ", lines.Take(5))}{(lines.Length > 5 ? $" (and {lines.Length - 5} more lines)" : "")}");
    }

    private async Task<NpgsqlConnection> OpenAsync(string database, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = "/tmp",
            Port = port,
            Username = dbUser,
            Database = database,
            Pooling = false,
            Timeout = 5,
            CommandTimeout = 300,
        }.ConnectionString);
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
