namespace PgBackup.Postgres.Replication;

/// <summary>IDENTIFY_SYSTEM: which cluster (SystemId, the 64-bit system identifier as text) and where its WAL is.</summary>
public sealed record IdentifySystemResult(string SystemId, uint Timeline, Lsn XLogPos, string? DbName);

/// <summary>A timeline history file fetched with TIMELINE_HISTORY, byte for byte as on the server.</summary>
public sealed record TimelineHistoryFile(string FileName, byte[] Content);

/// <summary>READ_REPLICATION_SLOT: a slot's kind and the oldest WAL it holds back (null while it reserves none).</summary>
public sealed record ReplicationSlotInfo(string Name, string SlotType, Lsn? RestartLsn, uint? RestartTimeline);
