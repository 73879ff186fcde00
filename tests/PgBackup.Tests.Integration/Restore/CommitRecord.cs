using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using PgBackup.Postgres;

namespace PgBackup.Tests.Integration.Restore;

/// <summary>
/// Where a transaction's commit record starts, read back from the WAL itself: with pg_walinspect on
/// PostgreSQL 15+, before that with the major's pg_waldump over the server's own pg_wal (the test
/// runs on the same host, as root).
/// </summary>
internal static partial class CommitRecord
{
    /// <summary>SQL the history runs once on the leader before its first marker (none before 15).</summary>
    public static string Prepare(NpgsqlConnection connection) =>
        connection.PostgreSqlVersion.Major >= 15 ? "CREATE EXTENSION IF NOT EXISTS pg_walinspect" : "";

    /// <param name="after">An LSN before the transaction's commit (taken before it began).</param>
    public static async Task<Lsn?> StartAsync(NpgsqlConnection connection, Lsn after, long xid, string pgBin)
    {
        if (connection.PostgreSqlVersion.Major >= 15)
        {
            var lsn = await ScalarAsync(connection,
                $"SELECT start_lsn::text FROM pg_get_wal_records_info('{after}', pg_current_wal_flush_lsn()) WHERE resource_manager = 'Transaction' AND xid::text = '{xid}' AND record_type LIKE 'COMMIT%'");
            return lsn is null ? null : Lsn.Parse(lsn);
        }
        var walDir = Path.Combine((await ScalarAsync(connection, "SHOW data_directory"))!, "pg_wal");
        var flush = (await ScalarAsync(connection, "SELECT pg_current_wal_flush_lsn()::text"))!;
        var timeline = Convert.ToUInt32((await ScalarAsync(connection, $"SELECT pg_walfile_name('{after}')"))![..8], 16);
        var dump = new ProcessStartInfo(Path.Combine(pgBin, "pg_waldump"))
        {
            ArgumentList = { "--path", walDir, "--timeline", timeline.ToString(CultureInfo.InvariantCulture), "--start", after.ToString(), "--end", flush, "--rmgr", "Transaction" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(dump)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"pg_waldump failed ({process.ExitCode}): {errors}");
        var record = WaldumpCommit().Matches(output).FirstOrDefault(m => m.Groups["xid"].Value == xid.ToString(CultureInfo.InvariantCulture));
        return record is null ? null : Lsn.Parse(record.Groups["lsn"].Value);
    }

    private static async Task<string?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (await command.ExecuteScalarAsync())?.ToString();
    }

    // rmgr: Transaction len (rec/tot):     34/    34, tx:        495, lsn: 0/03000108, prev 0/030000D0, desc: COMMIT 2026-...
    [GeneratedRegex(@"tx:\s+(?<xid>\d+), lsn: (?<lsn>[0-9A-F]+/[0-9A-F]+), prev [0-9A-F]+/[0-9A-F]+, desc: COMMIT")]
    private static partial Regex WaldumpCommit();
}
