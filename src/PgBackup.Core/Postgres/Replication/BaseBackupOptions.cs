using System.Globalization;

namespace PgBackup.Postgres.Replication;

/// <summary>Options of BASE_BACKUP, spelt in the syntax of the server that runs it (parenthesized from 15, bare keywords before).</summary>
public sealed record BaseBackupOptions
{
    public string Label { get; init; } = "pgbackup";

    /// <summary>Ask for tablespace sizes and 'p' progress messages (costs the server one extra directory walk).</summary>
    public bool Progress { get; init; } = true;

    /// <summary>CHECKPOINT 'fast': do not wait for a spread checkpoint (on a standby: a restartpoint).</summary>
    public bool FastCheckpoint { get; init; } = true;

    /// <summary>WAIT: wait for the WAL of the backup to be archived. We stream the WAL ourselves, so off.</summary>
    public bool WaitForWalArchive { get; init; }

    public bool Manifest { get; init; } = true;

    /// <summary>MANIFEST_CHECKSUMS: NONE, CRC32C, SHA224, SHA256, SHA384 or SHA512.</summary>
    public string ManifestChecksums { get; init; } = "SHA256";

    /// <summary>Server-side compression, e.g. "zstd"; null sends plain tar.</summary>
    public string? Compression { get; init; }

    /// <summary>COMPRESSION_DETAIL, e.g. "level=3,workers=2".</summary>
    public string? CompressionDetail { get; init; }

    /// <summary>MAX_RATE in kB/s (32..1048576); null for unthrottled.</summary>
    public int? MaxRateKiBPerSecond { get; init; }

    /// <summary>
    /// INCREMENTAL (PostgreSQL 17+): send only the blocks changed since the backup whose manifest this
    /// connection uploaded (UPLOAD_MANIFEST); unchanged relation files come as INCREMENTAL.* files.
    /// </summary>
    public bool Incremental { get; init; }

    /// <summary>TABLESPACE_MAP: put tablespace symlinks into a tablespace_map file instead of the tar.</summary>
    public bool TablespaceMap { get; init; } = true;

    /// <summary>The command for a server of <paramref name="serverVersionNum"/> (server_version_num).</summary>
    internal string ToCommand(int serverVersionNum = ReplicationSyntax.FirstParenthesizedVersionNum) =>
        serverVersionNum >= ReplicationSyntax.FirstParenthesizedVersionNum ? ParenthesizedCommand() : BareKeywordCommand(serverVersionNum);

    private string ParenthesizedCommand()
    {
        var options = new List<string>
        {
            "LABEL " + Literal(Label),
            "CHECKPOINT " + Literal(FastCheckpoint ? "fast" : "spread"),
            "WAIT " + (WaitForWalArchive ? "true" : "false"),
            "MANIFEST " + Literal(Manifest ? "yes" : "no"),
        };
        if (Progress)
            options.Add("PROGRESS");
        if (Manifest)
            options.Add("MANIFEST_CHECKSUMS " + Literal(ManifestChecksums));
        if (Compression is not null)
            options.Add("COMPRESSION " + Literal(Compression));
        if (CompressionDetail is not null)
            options.Add("COMPRESSION_DETAIL " + Literal(CompressionDetail));
        if (MaxRateKiBPerSecond is { } rate)
            options.Add("MAX_RATE " + rate.ToString(CultureInfo.InvariantCulture));
        if (TablespaceMap)
            options.Add("TABLESPACE_MAP");
        if (Incremental)
            options.Add("INCREMENTAL");
        return $"BASE_BACKUP ({string.Join(", ", options)})";
    }

    /// <summary>
    /// PostgreSQL 13 and 14 (repl_gram.y's base_backup_opt): keywords without commas, no COMPRESSION
    /// and no INCREMENTAL; a spread checkpoint and waiting for the archive are the defaults, so only
    /// their opposites (FAST, NOWAIT) are spelt out.
    /// </summary>
    private string BareKeywordCommand(int serverVersionNum)
    {
        if (Compression is not null || Incremental)
            throw new InvalidOperationException($"BASE_BACKUP on server_version_num {serverVersionNum} has no {(Incremental ? "INCREMENTAL" : "COMPRESSION")}; callers must fall back before asking");
        var options = new List<string> { "LABEL " + Literal(Label) };
        if (Progress)
            options.Add("PROGRESS");
        if (FastCheckpoint)
            options.Add("FAST");
        if (!WaitForWalArchive)
            options.Add("NOWAIT");
        if (MaxRateKiBPerSecond is { } rate)
            options.Add("MAX_RATE " + rate.ToString(CultureInfo.InvariantCulture));
        if (TablespaceMap)
            options.Add("TABLESPACE_MAP");
        if (Manifest)
        {
            options.Add("MANIFEST " + Literal("yes"));
            options.Add("MANIFEST_CHECKSUMS " + Literal(ManifestChecksums));
        }
        return "BASE_BACKUP " + string.Join(' ', options);
    }

    /// <summary>A SQL string literal: quotes doubled, so no label can end the literal early.</summary>
    private static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}
