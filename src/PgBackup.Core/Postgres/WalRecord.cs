namespace PgBackup.Postgres;

/// <summary>
/// One WAL record as <see cref="WalRecordReader"/> found it: where it starts, where the next one
/// may start (<see cref="End"/>, MAXALIGNed like PostgreSQL's EndRecPtr; the next segment's start
/// after a segment switch), and its XLogRecord header fields.
/// </summary>
public readonly record struct WalRecord(Lsn Start, Lsn End, uint TotalLength, uint TransactionId, Lsn Previous, byte ResourceManager, byte Info)
{
    /// <summary>RM_XLOG_ID: checkpoints, segment switches, restore points, backup ends.</summary>
    public const byte XlogResourceManager = 0;

    private const byte InfoMask = 0x0F; // XLR_INFO_MASK: the low bits are flags, not the record type
    private const byte SwitchInfo = 0x40; // XLOG_SWITCH

    /// <summary>An XLOG_SWITCH record: the rest of its segment is unused, the next record starts the next segment.</summary>
    public bool IsSegmentSwitch => ResourceManager == XlogResourceManager && (Info & ~InfoMask) == SwitchInfo;

    public override string ToString() => $"record at {Start} (resource manager {ResourceManager}, {TotalLength} bytes)";
}
