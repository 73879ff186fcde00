using Npgsql;
using PgBackup.Drill;
using PgBackup.Errors;

namespace PgBackup.TableRecovery;

/// <summary>A table of the scratch copy, made ready to dump: renamed to its destination, foreign keys dropped.</summary>
/// <param name="DroppedForeignKeys">"name: definition" of each foreign key dropped from the copy.</param>
public sealed record RestoredTable(TableName Source, TableName Destination, long Rows, IReadOnlyList<string> DroppedForeignKeys);

/// <summary>A view (or materialized view) on the restored tables, renamed like them; <paramref name="Depth"/> 1 reads a table, 2 a view of depth 1, and so on.</summary>
public sealed record RestoredView(TableName Source, TableName Destination, bool Materialized, int Depth)
{
    public string Kind => Materialized ? "MATERIALIZED VIEW" : "VIEW";
}

/// <summary>What the dump holds: the tables and, with --with-dependents, the views on them.</summary>
public sealed record RestoredObjects(IReadOnlyList<RestoredTable> Tables, IReadOnlyList<RestoredView> Views)
{
    public IEnumerable<TableName> Destinations => Tables.Select(t => t.Destination).Concat(Views.Select(v => v.Destination));
}

/// <summary>
/// The tables on the scratch server, recovered to the target. The copy is disposable, so it is
/// shaped there before the dump: renamed (with its indexes and owned sequences, whose names are
/// unique per schema and would clash with the live table's), and stripped of foreign keys, whose
/// referenced rows in the live cluster have moved on since the target. With dependents, the views
/// that read them (and views of those) are renamed by the same pattern and dumped with them.
/// </summary>
internal sealed class ScratchTables(RestoredServerChecks server, string database)
{
    public async Task<RestoredObjects> PrepareAsync(IReadOnlyList<(TableName Source, TableName Destination)> tables, string? pattern, bool withDependents, CancellationToken ct)
    {
        await using var connection = await server.OpenAsync(database, ct).ConfigureAwait(false);
        var oids = new List<uint>();
        var missing = new List<TableName>();
        foreach (var (source, _) in tables)
        {
            if (await ScalarAsync(connection, "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')", ct, source.Schema, source.Name) is uint oid)
                oids.Add(oid);
            else missing.Add(source);
        }
        if (missing.Count > 0)
            throw new UsageException($"{string.Join(", ", missing)} did not exist in database {database} at the target; tables there: {await TablesThereAsync(connection, missing, ct).ConfigureAwait(false)}");

        // Found before any renaming, under the names the operator knows; renamed last, by the same pattern.
        var views = withDependents ? await DependentViewsAsync(connection, oids, pattern, ct).ConfigureAwait(false) : [];
        // Every table's foreign keys first, so each is reported as it was defined, before any table it names is renamed.
        var dropped = new List<IReadOnlyList<string>>();
        for (var i = 0; i < tables.Count; i++)
            dropped.Add(await DropForeignKeysAsync(connection, oids[i], tables[i].Source, ct).ConfigureAwait(false));
        var prepared = new List<RestoredTable>();
        for (var i = 0; i < tables.Count; i++)
        {
            var (source, destination) = tables[i];
            if (destination != source) await RenameAsync(connection, oids[i], source, destination, ct).ConfigureAwait(false);
            var rows = (long)(await ScalarAsync(connection, $"SELECT count(*) FROM {destination.Sql}", ct).ConfigureAwait(false))!;
            prepared.Add(new RestoredTable(source, destination, rows, dropped[i]));
        }
        foreach (var v in views.Where(v => v.Destination != v.Source))
            await ExecuteAsync(connection, $"ALTER {v.Kind} {v.Source.Sql} RENAME TO {TableName.Quote(v.Destination.Name)}", ct).ConfigureAwait(false);
        return new RestoredObjects(prepared, views);
    }

    /// <summary>Views and materialized views reading the tables, directly or through other views, shallowest first.</summary>
    private static async Task<IReadOnlyList<RestoredView>> DependentViewsAsync(NpgsqlConnection connection, IReadOnlyList<uint> tables, string? pattern, CancellationToken ct)
    {
        var views = new List<RestoredView>();
        await using var command = new NpgsqlCommand("""
            WITH RECURSIVE reads(oid, depth) AS (
              SELECT r.ev_class, 1 FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
               WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
                 AND d.refobjid::bigint = ANY($1) AND r.ev_class <> d.refobjid
              UNION
              SELECT r.ev_class, reads.depth + 1 FROM reads
                JOIN pg_depend d ON d.refobjid = reads.oid AND d.refclassid = 'pg_class'::regclass AND d.classid = 'pg_rewrite'::regclass
                JOIN pg_rewrite r ON r.oid = d.objid
               WHERE r.ev_class <> reads.oid AND reads.depth < 32)
            SELECT n.nspname, c.relname, c.relkind = 'm', max(reads.depth)::int
              FROM reads JOIN pg_class c ON c.oid = reads.oid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('v', 'm')
             GROUP BY 1, 2, 3 ORDER BY 4, 1, 2
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tables.Select(t => (long)t).ToArray() });
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var view = new TableName(reader.GetString(0), reader.GetString(1));
            views.Add(new RestoredView(view, view.Renamed(pattern), reader.GetBoolean(2), reader.GetInt32(3)));
        }
        return views;
    }

    private static async Task<IReadOnlyList<string>> DropForeignKeysAsync(NpgsqlConnection connection, uint oid, TableName table, CancellationToken ct)
    {
        var keys = new List<(string Name, string Definition)>();
        await using (var command = new NpgsqlCommand("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = $1 AND contype = 'f' ORDER BY conname", connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false)) keys.Add((reader.GetString(0), reader.GetString(1)));
        }
        foreach (var (name, _) in keys)
            await ExecuteAsync(connection, $"ALTER TABLE {table.Sql} DROP CONSTRAINT {TableName.Quote(name)}", ct).ConfigureAwait(false);
        return keys.Select(k => $"{k.Name}: {k.Definition}").ToList();
    }

    /// <summary>
    /// The table, then its indexes (a primary key or unique constraint follows its index's name) and
    /// owned sequences: each name that starts with the table's takes the destination's instead
    /// (accounts_pkey becomes recovered_accounts_pkey), any other gets the destination's as prefix.
    /// </summary>
    private static async Task RenameAsync(NpgsqlConnection connection, uint oid, TableName source, TableName destination, CancellationToken ct)
    {
        var related = new List<(string Kind, string Name)>();
        await using (var command = new NpgsqlCommand("""
            SELECT 'INDEX', c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = $1
            UNION ALL
            SELECT 'SEQUENCE', c.relname FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
             WHERE d.refobjid = $1 AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') AND c.relkind = 'S'
            ORDER BY 1, 2
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false)) related.Add((reader.GetString(0), reader.GetString(1)));
        }
        await ExecuteAsync(connection, $"ALTER TABLE {source.Sql} RENAME TO {TableName.Quote(destination.Name)}", ct).ConfigureAwait(false);
        foreach (var (kind, name) in related)
        {
            var renamed = name.StartsWith(source.Name, StringComparison.Ordinal) ? destination.Name + name[source.Name.Length..] : destination.Name + "_" + name;
            await ExecuteAsync(connection, $"ALTER {kind} {TableName.Quote(source.Schema)}.{TableName.Quote(name)} RENAME TO {TableName.Quote(renamed[..Math.Min(renamed.Length, 63)])}", ct).ConfigureAwait(false);
        }
    }

    private static async Task<string> TablesThereAsync(NpgsqlConnection connection, IReadOnlyList<TableName> missing, CancellationToken ct)
    {
        var names = new List<string>();
        await using var command = new NpgsqlCommand("""
            SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1) ORDER BY 1 LIMIT 21
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = missing.Select(m => m.Schema).Distinct().ToArray() });
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false)) names.Add(reader.GetString(0));
        return names.Count == 0 ? "none in that schema" : string.Join(", ", names.Take(20)) + (names.Count > 20 ? ", …" : "");
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken ct, params object[] args)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var a in args) command.Parameters.Add(new NpgsqlParameter { Value = a });
        return await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
