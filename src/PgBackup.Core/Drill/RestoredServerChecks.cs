using Npgsql;
using PgBackup.Restore;

namespace PgBackup.Drill;

/// <summary>
/// Checks on a restored, promoted server: it answers, every connectable database passes
/// pg_amcheck (heap and B-tree indexes, with every heap tuple found in its indexes; B-tree only on 13), and what
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
        var databases = new List<DrillDatabase>();
        foreach (var name in await DatabasesAsync(ct).ConfigureAwait(false))
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

    /// <summary>
    /// pg_amcheck over every connectable database; amcheck is installed where missing (the copy is
    /// promoted and disposable). PostgreSQL 13 has no pg_amcheck (it came with 14, with heap
    /// checking): there every B-tree index is checked with amcheck's bt_index_check, heapallindexed.
    /// </summary>
    public async Task<DrillCheck> AmCheckAsync(int pgMajor, CancellationToken ct)
    {
        if (pgMajor < 14) return await IndexCheckAsync(ct).ConfigureAwait(false);
        var (exitCode, output) = server.RunAsServerUser(Path.Combine(pgBin, "pg_amcheck"),
            ["--all", "--heapallindexed", "--install-missing", "--host", "/tmp", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--username", dbUser, "--no-password"]);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return exitCode == 0
            ? new DrillCheck("amcheck", true, "pg_amcheck --all --heapallindexed: no corruption found")
            : new DrillCheck("amcheck", false, $"pg_amcheck exited {exitCode}: {string.Join(" | ", lines.Take(5))}{(lines.Length > 5 ? $" (and {lines.Length - 5} more lines)" : "")}");
    }

    private async Task<DrillCheck> IndexCheckAsync(CancellationToken ct)
    {
        var indexes = 0;
        foreach (var database in await DatabasesAsync(ct).ConfigureAwait(false))
        {
            await using var connection = await OpenAsync(database, ct).ConfigureAwait(false);
            await using (var install = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS amcheck", connection))
                await install.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            // Indexes of other sessions' temporary tables cannot be read; invalid ones are being built.
            await using var command = new NpgsqlCommand("""
                SELECT c.oid::regclass::text FROM pg_index i
                  JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
                 WHERE a.amname = 'btree' AND i.indisvalid AND i.indisready AND c.relpersistence <> 't'
                 ORDER BY c.oid
                """, connection);
            var names = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
                while (await reader.ReadAsync(ct).ConfigureAwait(false)) names.Add(reader.GetString(0));
            foreach (var name in names)
            {
                try
                {
                    await using var check = new NpgsqlCommand("SELECT bt_index_check($1::regclass, true)", connection) { Parameters = { new() { Value = name } } };
                    await check.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }
                catch (PostgresException e)
                {
                    return new DrillCheck("amcheck", false, $"bt_index_check of index {name} in database {database}: {e.MessageText}");
                }
                indexes++;
            }
        }
        return new DrillCheck("amcheck", true, $"bt_index_check (heapallindexed) of {indexes} B-tree index(es): no corruption found (PostgreSQL 13 has no pg_amcheck, so no heap check)");
    }

    private async Task<IReadOnlyList<string>> DatabasesAsync(CancellationToken ct)
    {
        var names = new List<string>();
        await using var connection = await OpenAsync("postgres", ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT datname FROM pg_database WHERE datallowconn ORDER BY datname", connection);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false)) names.Add(reader.GetString(0));
        return names;
    }

    /// <summary>A connection to one database of the restored server, over its Unix socket.</summary>
    internal async Task<NpgsqlConnection> OpenAsync(string database, CancellationToken ct)
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
