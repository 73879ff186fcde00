namespace PgBackup.Postgres.Replication;

/// <summary>What <see cref="ReplicationStream.ReadAsync"/> returns: WAL data, or the end of the timeline.</summary>
public abstract class ReplicationMessage
{
    private protected ReplicationMessage()
    {
    }
}

/// <summary>
/// WAL bytes starting at <see cref="WalStart"/>. One instance is reused for every message of a
/// stream, and <see cref="Data"/> points into the connection's buffer: both are valid only until the next read.
/// </summary>
public sealed class XLogDataMessage : ReplicationMessage
{
    internal XLogDataMessage()
    {
    }

    public Lsn WalStart { get; internal set; }

    /// <summary>The end of WAL on the server when it sent this message.</summary>
    public Lsn WalEnd { get; internal set; }

    public ReadOnlyMemory<byte> Data { get; internal set; }

    /// <summary>The position right after these bytes.</summary>
    public Lsn DataEnd => WalStart + (ulong)Data.Length;
}

/// <summary>
/// The server has sent all WAL of the requested (historic) timeline: it continues on
/// <see cref="NextTimeline"/> from <see cref="SwitchLsn"/>. The connection is ready for another command.
/// </summary>
public sealed class TimelineEndedMessage(uint nextTimeline, Lsn switchLsn) : ReplicationMessage
{
    public uint NextTimeline { get; } = nextTimeline;
    public Lsn SwitchLsn { get; } = switchLsn;
}
