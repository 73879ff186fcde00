namespace PgBackup.Postgres.Replication.Internal;

/// <summary>Type bytes of the backend messages we meet (protocol v3), and of CopyData sub-messages.</summary>
internal static class BackendMessageCode
{
    public const char Authentication = 'R';
    public const char BackendKeyData = 'K';
    public const char ParameterStatus = 'S';
    public const char ReadyForQuery = 'Z';
    public const char NegotiateProtocolVersion = 'v';
    public const char ErrorResponse = 'E';
    public const char NoticeResponse = 'N';
    public const char RowDescription = 'T';
    public const char DataRow = 'D';
    public const char CommandComplete = 'C';
    public const char EmptyQueryResponse = 'I';
    public const char CopyInResponse = 'G';
    public const char CopyOutResponse = 'H';
    public const char CopyBothResponse = 'W';
    public const char CopyData = 'd';
    public const char CopyDone = 'c';

    // Inside CopyData of BASE_BACKUP
    public const char NewArchive = 'n';
    public const char ArchiveData = 'd';
    public const char Progress = 'p';
    public const char Manifest = 'm';

    // Inside CopyData of START_REPLICATION
    public const char XLogData = 'w';
    public const char PrimaryKeepalive = 'k';
}

/// <summary>Authentication request codes inside 'R'.</summary>
internal enum AuthenticationRequest
{
    Ok = 0,
    CleartextPassword = 3,
    Md5Password = 5,
    Sasl = 10,
    SaslContinue = 11,
    SaslFinal = 12,
}
