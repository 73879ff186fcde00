using System.Text.RegularExpressions;
using PgBackup.Errors;
using PgBackup.Postgres.Replication.Internal;

namespace PgBackup.Postgres.Replication;

/// <summary>
/// A physical replication connection (replication=true): the commands pgbackup needs, one at a
/// time. Every failure is a one-line <see cref="PgBackupException"/>: <see cref="SourceUnavailableException"/>
/// while connecting, <see cref="OperationFailedException"/> afterwards (with the server's
/// <see cref="PostgresServerError"/> as inner exception when the server reported it).
/// </summary>
public sealed partial class ReplicationConnection : IAsyncDisposable
{
    private readonly ReplicationConnector _connector;

    private ReplicationConnection(ReplicationConnector connector, int serverVersionNum)
    {
        _connector = connector;
        ServerVersionNum = serverVersionNum;
    }

    public ReplicationConnectionSettings Settings => _connector.Settings;

    /// <summary>The server's server_version_num (e.g. 140023): it picks the syntax of the commands this connection sends.</summary>
    public int ServerVersionNum { get; }

    public static async Task<ReplicationConnection> OpenAsync(ReplicationConnectionSettings settings, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var connector = await ReplicationConnector.OpenAsync(settings, ct).ConfigureAwait(false);
        try
        {
            var rs = await connector.QueryAsync("SHOW", "SHOW server_version_num", ct).ConfigureAwait(false);
            var version = rs is null ? null : rs.Text(rs.SingleRow("SHOW"), rs.ColumnNames[0]);
            if (!int.TryParse(version, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var versionNum))
                throw new ProtocolViolationException($"server_version_num is '{version}'");
            return new ReplicationConnection(connector, versionNum);
        }
        catch (Exception e)
        {
            var failure = e is ProtocolViolationException ? connector.Failure(e) : e;
            await connector.DisposeAsync().ConfigureAwait(false);
            if (failure == e)
                throw;
            throw failure;
        }
    }

    public async Task<IdentifySystemResult> IdentifySystemAsync(CancellationToken ct)
    {
        var (rs, row) = await QuerySingleRowAsync("IDENTIFY_SYSTEM", "IDENTIFY_SYSTEM", ct).ConfigureAwait(false);
        return new IdentifySystemResult(
            rs.RequiredText(row, "systemid"),
            checked((uint)rs.Int64(row, "timeline")!.Value),
            rs.Lsn(row, "xlogpos") ?? Lsn.Invalid,
            rs.Text(row, "dbname"));
    }

    /// <summary>SHOW works in replication mode; the value comes as SHOW prints it (see <see cref="ServerSetting.ParseBytes"/>).</summary>
    public async Task<string> ShowAsync(string name, CancellationToken ct)
    {
        if (!SettingName().IsMatch(name))
            throw new ArgumentException($"'{name}' is not a setting name", nameof(name));
        var (rs, row) = await QuerySingleRowAsync("SHOW", "SHOW " + name, ct).ConfigureAwait(false);
        return rs.RequiredText(row, rs.ColumnNames[0]);
    }

    public async Task<TimelineHistoryFile> TimelineHistoryAsync(uint timeline, CancellationToken ct)
    {
        var (rs, row) = await QuerySingleRowAsync("TIMELINE_HISTORY", $"TIMELINE_HISTORY {timeline}", ct).ConfigureAwait(false);
        return new TimelineHistoryFile(rs.RequiredText(row, "filename"), TimelineHistoryContent(ServerVersionNum, rs, row));
    }

    internal static byte[] TimelineHistoryContent(int serverVersionNum, ResultSet rs, byte[]?[] row) =>
        (serverVersionNum < ReplicationSyntax.FirstTextTimelineHistoryVersionNum ? rs.RawBytes(row, "content") : rs.Bytes(row, "content")) ?? [];

    /// <summary>
    /// Creates a physical slot and returns it as read back: on a standby CREATE reports 0/0 even with
    /// RESERVE_WAL, while the slot really starts at the last restartpoint's redo LSN.
    /// </summary>
    /// <param name="temporary">A TEMPORARY slot is dropped by the server when this connection ends,
    /// however it ends: the right kind for a slot that must not outlive one backup.</param>
    public async Task<ReplicationSlotInfo> CreatePhysicalSlotAsync(string name, bool reserveWal, CancellationToken ct, bool temporary = false)
    {
        ValidateSlotName(name);
        await _connector.QueryAsync("CREATE_REPLICATION_SLOT", CreatePhysicalSlotCommand(ServerVersionNum, name, reserveWal, temporary), ct).ConfigureAwait(false);
        return await ReadReplicationSlotAsync(name, ct).ConfigureAwait(false)
            ?? throw new OperationFailedException($"replication slot \"{name}\" vanished on {Settings.Endpoint} right after it was created");
    }

    internal static string CreatePhysicalSlotCommand(int serverVersionNum, string name, bool reserveWal, bool temporary) =>
        $"CREATE_REPLICATION_SLOT {name}{(temporary ? " TEMPORARY" : "")} PHYSICAL" + (ReplicationSyntax.IsParenthesized(serverVersionNum)
            ? $" (RESERVE_WAL {(reserveWal ? "true" : "false")})"
            : reserveWal ? " RESERVE_WAL" : "");

    /// <summary>Drops a slot; with <paramref name="wait"/> it waits for a walsender still using it instead of failing.</summary>
    public async Task DropReplicationSlotAsync(string name, bool wait, CancellationToken ct)
    {
        ValidateSlotName(name);
        await _connector.QueryAsync("DROP_REPLICATION_SLOT", $"DROP_REPLICATION_SLOT {name}{(wait ? " WAIT" : "")}", ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A slot's kind and restart LSN; null if there is no such slot. READ_REPLICATION_SLOT from
    /// PostgreSQL 15, pg_replication_slots over SQL before (without the restart timeline).
    /// </summary>
    public async Task<ReplicationSlotInfo?> ReadReplicationSlotAsync(string name, CancellationToken ct)
    {
        ValidateSlotName(name);
        if (!ReplicationSyntax.IsParenthesized(ServerVersionNum))
            return await ReplicationSlotsView.ReadAsync(Settings, name, ct).ConfigureAwait(false);
        var (rs, row) = await QuerySingleRowAsync("READ_REPLICATION_SLOT", $"READ_REPLICATION_SLOT {name}", ct).ConfigureAwait(false);
        var slotType = rs.Text(row, "slot_type");
        if (slotType is null)
            return null; // the server answers one all-NULL row for a missing slot
        return new ReplicationSlotInfo(name, slotType, rs.Lsn(row, "restart_lsn"), rs.Int64(row, "restart_tli") is { } tli ? checked((uint)tli) : null);
    }

    /// <summary>Starts BASE_BACKUP; read the archives from the returned stream before using this connection again.</summary>
    public Task<BaseBackupStream> StartBaseBackupAsync(BaseBackupOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        return BaseBackupStream.StartAsync(_connector, ServerVersionNum, options, ct);
    }

    /// <summary>
    /// UPLOAD_MANIFEST (PostgreSQL 17+): sends an earlier backup's backup_manifest in CopyIn, so that
    /// the next BASE_BACKUP on this connection can be INCREMENTAL on it. The server parses the manifest
    /// as it arrives; it checks it against its WAL summaries only when the backup starts.
    /// </summary>
    public async Task UploadManifestAsync(Stream manifest, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        _connector.BeginCommand("UPLOAD_MANIFEST");
        await _connector.SendQueryAsync("UPLOAD_MANIFEST", ct).ConfigureAwait(false);
        await _connector.ExpectAsync(BackendMessageCode.CopyInResponse, ct).ConfigureAwait(false);
        // pg_basebackup sends 128 KiB at a time, the size the server parses in.
        var buffer = new byte[128 * 1024];
        int read;
        while ((read = await manifest.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            await _connector.SendCopyDataAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
        await _connector.SendCopyDoneAsync(ct).ConfigureAwait(false);
        await _connector.CompleteCommandAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts physical streaming at <paramref name="start"/> on <paramref name="timeline"/>, through
    /// <paramref name="slotName"/> if given. Works on a standby too (cascading replication).
    /// </summary>
    public async Task<ReplicationStream> StartReplicationAsync(string? slotName, Lsn start, uint timeline, CancellationToken ct)
    {
        if (slotName is not null)
            ValidateSlotName(slotName);
        // Before 15 a walsender on a standby learns its timeline only from IDENTIFY_SYSTEM, and refuses
        // START_REPLICATION on a connection that has not run it (SQLSTATE 55000).
        if (!ReplicationSyntax.IsParenthesized(ServerVersionNum))
            await IdentifySystemAsync(ct).ConfigureAwait(false);
        return await ReplicationStream.StartAsync(_connector, slotName, start, timeline, ct).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _connector.DisposeAsync();

    private async Task<(ResultSet, byte[]?[])> QuerySingleRowAsync(string command, string sql, CancellationToken ct)
    {
        var rs = await _connector.QueryAsync(command, sql, ct).ConfigureAwait(false);
        try
        {
            return rs is null ? throw new ProtocolViolationException($"{command} returned no result") : (rs, rs.SingleRow(command));
        }
        catch (ProtocolViolationException e)
        {
            throw _connector.Failure(e);
        }
    }

    private static void ValidateSlotName(string name)
    {
        if (!ReplicationSlotName.IsValid(name))
            throw new UsageException($"'{name}' is not a valid replication slot name: use {ReplicationSlotName.Rule}");
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_.]*$")]
    private static partial Regex SettingName();
}
