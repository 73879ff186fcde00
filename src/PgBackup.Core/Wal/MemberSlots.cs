using Npgsql;
using PgBackup.Cluster;
using PgBackup.Policies;

namespace PgBackup.Wal;

/// <summary>The archiver's physical slot as one member reports it; with the archiver's progress when it is streaming on it.</summary>
public sealed record MemberSlot(string Member, string Slot, bool Active, string? RestartLsn, string? WalStatus, string? FlushLsn, double? FlushLagSeconds);

/// <summary>Reads the archiver's slots on members over SQL (pg_monitor sees every walsender's positions).</summary>
public sealed class MemberSlots(Policy policy)
{
    private readonly MemberProbe _probe = new(policy.Connection);

    public async Task<IReadOnlyList<MemberSlot>> ListAsync(ClusterMember member, CancellationToken ct)
    {
        const string sql = """
            SELECT s.slot_name::text, s.active, s.restart_lsn::text, s.wal_status,
                   r.flush_lsn::text, extract(epoch FROM r.flush_lag)::float8
            FROM pg_replication_slots s LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid
            WHERE s.slot_type = 'physical' AND s.slot_name::text = $1
            ORDER BY 1
            """;
        await using var connection = new NpgsqlConnection(_probe.ConnectionString(member.Host!, member.Port!.Value));
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = policy.Archive.SlotName });
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var slots = new List<MemberSlot>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            slots.Add(new MemberSlot(member.Name, r.GetString(0), r.GetBoolean(1),
                r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetDouble(5)));
        return slots;
    }
}
