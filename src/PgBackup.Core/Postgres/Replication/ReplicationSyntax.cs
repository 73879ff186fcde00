namespace PgBackup.Postgres.Replication;

/// <summary>
/// Where the replication protocol changed between the majors we speak to. Every choice by server
/// version inside the replication client reads its threshold from here.
/// </summary>
internal static class ReplicationSyntax
{
    /// <summary>
    /// PostgreSQL 15: parenthesized BASE_BACKUP and CREATE_REPLICATION_SLOT options, BASE_BACKUP's
    /// archives in ONE CopyOut stream ('n'/'d'/'p'/'m' messages), READ_REPLICATION_SLOT, and
    /// START_REPLICATION on a standby without IDENTIFY_SYSTEM first.
    /// Before it, BASE_BACKUP sends one CopyOut per tablespace and then one for the manifest.
    /// </summary>
    public const int FirstParenthesizedVersionNum = 150000;

    /// <summary>
    /// Before PostgreSQL 14 TIMELINE_HISTORY declares its content column bytea yet sends the file's
    /// bytes unescaped (seen on 13.23: "1\t0/..." where a bytea would read "\x31..."); 14 and later
    /// send text, or hex-escaped bytea, which ResultSet.Bytes decodes.
    /// </summary>
    public const int FirstTextTimelineHistoryVersionNum = 140000;

    public static bool IsParenthesized(int serverVersionNum) => serverVersionNum >= FirstParenthesizedVersionNum;
}
