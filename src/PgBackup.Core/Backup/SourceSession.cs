using System.Security.Cryptography;
using PgBackup.Cluster;
using PgBackup.Formats;
using PgBackup.Policies;
using PgBackup.Postgres.Replication;
using PgBackup.Postgres;

namespace PgBackup.Backup;

/// <summary>
/// The source member as one backup attempt sees it: a replication connection for BASE_BACKUP, a
/// second one for the WAL the backup needs, and the facts about the server the manifest records.
/// </summary>
internal sealed class SourceSession : IAsyncDisposable
{
    private SourceSession(ReplicationConnection data, ReplicationConnection wal, IdentifySystemResult system, long segmentSize, int serverVersion)
    {
        Data = data;
        Wal = wal;
        System = system;
        SegmentSize = segmentSize;
        ServerVersionNum = serverVersion;
    }

    public ReplicationConnection Data { get; }

    public ReplicationConnection Wal { get; }

    public IdentifySystemResult System { get; }

    /// <summary>wal_segment_size, which names and sizes every WAL file.</summary>
    public long SegmentSize { get; }

    public int ServerVersionNum { get; }

    public int PgMajor => ServerVersionNum / 10000;

    public static async Task<SourceSession> OpenAsync(Policy policy, ClusterMember member, CancellationToken ct)
    {
        var settings = policy.Replication(member.Host!, member.Port!.Value, "pgbackup");
        var data = await ReplicationConnection.OpenAsync(settings, ct).ConfigureAwait(false);
        try
        {
            var wal = await ReplicationConnection.OpenAsync(settings, ct).ConfigureAwait(false);
            try
            {
                var system = await data.IdentifySystemAsync(ct).ConfigureAwait(false);
                var segmentSize = ServerSetting.ParseBytes(await data.ShowAsync("wal_segment_size", ct).ConfigureAwait(false));
                return new SourceSession(data, wal, system, segmentSize, data.ServerVersionNum);
            }
            catch
            {
                await wal.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        catch
        {
            await data.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The history of the timeline the source is on now (an incremental's reference must lie on it).</summary>
    public async Task<TimelineHistory> HistoryAsync(CancellationToken ct) =>
        System.Timeline == 1 ? TimelineHistory.ForFirstTimeline
            : TimelineHistory.Parse(System.Timeline, (await Data.TimelineHistoryAsync(System.Timeline, ct).ConfigureAwait(false)).Content);

    /// <summary>A TEMPORARY slot pins the WAL from the start of the backup and vanishes with the connection, however we die.</summary>
    public async Task<string> CreateTemporarySlotAsync(CancellationToken ct)
    {
        var slot = "pgbackup_backup_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        await Wal.CreatePhysicalSlotAsync(slot, reserveWal: true, ct, temporary: true).ConfigureAwait(false);
        return slot;
    }

    /// <param name="incremental">BASE_BACKUP INCREMENTAL, on the manifest this session uploaded (PostgreSQL 17+).</param>
    public Task<BaseBackupStream> StartBaseBackupAsync(string backupId, SourceCompression compression, CancellationToken ct, bool incremental = false) =>
        Data.StartBaseBackupAsync(new BaseBackupOptions
        {
            Incremental = incremental,
            Label = "pgbackup " + backupId,
            // pg_verifybackup needs checksums; CRC32C costs the source far less CPU than SHA-256.
            ManifestChecksums = "CRC32C",
            Compression = compression.Method,
            CompressionDetail = compression.Detail,
        }, ct);

    public async ValueTask DisposeAsync()
    {
        await Wal.DisposeAsync().ConfigureAwait(false);
        await Data.DisposeAsync().ConfigureAwait(false);
    }
}
