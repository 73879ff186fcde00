using Npgsql;
using PgBackup.Errors;

namespace PgBackup.Postgres.Replication;

/// <summary>
/// A slot as pg_replication_slots shows it, for servers before PostgreSQL 15: they have no
/// READ_REPLICATION_SLOT, and a physical replication connection runs no SQL, so this asks over a
/// plain SQL connection to the same server as the same user (pg_hba.conf admits it to the policy's database).
/// </summary>
internal static class ReplicationSlotsView
{
    public static async Task<ReplicationSlotInfo?> ReadAsync(ReplicationConnectionSettings settings, string name, CancellationToken ct)
    {
        const string sql = "SELECT slot_type, restart_lsn::text FROM pg_replication_slots WHERE slot_name::text = $1";
        try
        {
            await using var connection = new NpgsqlConnection(SqlConnectionStrings.For(settings.Host, settings.Port, settings.User, settings.Password,
                settings.Database, settings.SslMode, settings.RootCertificatePath, settings.ConnectTimeout, settings.ApplicationName));
            await connection.OpenAsync(ct).ConfigureAwait(false);
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = name });
            await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (!await r.ReadAsync(ct).ConfigureAwait(false))
                return null;
            // pg_replication_slots has no restart timeline; only READ_REPLICATION_SLOT reports it.
            return new ReplicationSlotInfo(name, r.GetString(0), r.IsDBNull(1) ? null : Lsn.Parse(r.GetString(1)), null);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException && !ct.IsCancellationRequested)
        {
            throw new OperationFailedException($"reading replication slot \"{name}\" from pg_replication_slots on {settings.Endpoint} (database {settings.Database}) failed: {e.Message.Split('\n')[0].Trim()}; before PostgreSQL 15 that needs a SQL login: check pg_hba.conf admits {settings.User} to {settings.Database}", e);
        }
    }
}
