using PgBackup.Postgres.Replication;

namespace PgBackup.Tests.Unit.Postgres.Replication;

/// <summary>CREATE_REPLICATION_SLOT for a physical slot: options in parentheses from PostgreSQL 15, a bare RESERVE_WAL before.</summary>
public sealed class ReplicationSlotCommandFacts
{
    [Theory]
    [InlineData(180000, "CREATE_REPLICATION_SLOT s TEMPORARY PHYSICAL (RESERVE_WAL true)")]
    [InlineData(150000, "CREATE_REPLICATION_SLOT s TEMPORARY PHYSICAL (RESERVE_WAL true)")]
    [InlineData(140023, "CREATE_REPLICATION_SLOT s TEMPORARY PHYSICAL RESERVE_WAL")]
    [InlineData(130023, "CREATE_REPLICATION_SLOT s TEMPORARY PHYSICAL RESERVE_WAL")]
    public void A_temporary_slot_reserving_WAL_is_spelt_for_the_server(int serverVersionNum, string expected) =>
        Assert.Equal(expected, ReplicationConnection.CreatePhysicalSlotCommand(serverVersionNum, "s", reserveWal: true, temporary: true));

    [Theory]
    [InlineData(150000, "CREATE_REPLICATION_SLOT pgbackup_x PHYSICAL (RESERVE_WAL false)")]
    [InlineData(140000, "CREATE_REPLICATION_SLOT pgbackup_x PHYSICAL")]
    public void A_slot_without_reserved_WAL_says_so_or_leaves_it_out(int serverVersionNum, string expected) =>
        Assert.Equal(expected, ReplicationConnection.CreatePhysicalSlotCommand(serverVersionNum, "pgbackup_x", reserveWal: false, temporary: false));
}
