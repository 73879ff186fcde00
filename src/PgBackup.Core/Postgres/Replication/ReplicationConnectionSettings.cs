namespace PgBackup.Postgres.Replication;

/// <summary>Where and how to open a physical replication connection.</summary>
public sealed record ReplicationConnectionSettings
{
    public required string Host { get; init; }
    public int Port { get; init; } = 5432;
    public required string User { get; init; }
    public string? Password { get; init; }

    /// <summary>The database of SQL connections to the same server (before PostgreSQL 15 slots are read over SQL).</summary>
    public string Database { get; init; } = "postgres";
    public string ApplicationName { get; init; } = "pgbackup";
    public SslMode SslMode { get; init; } = SslMode.Prefer;

    /// <summary>PEM or DER file of the CA that signed the server certificate; required for VerifyCA and VerifyFull.</summary>
    public string? RootCertificatePath { get; init; }

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often to send a standby status update while streaming, even when the caller is busy (wal_sender_timeout defaults to 60 s).</summary>
    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>"host:port" for messages.</summary>
    public string Endpoint => $"{Host}:{Port}";

    /// <summary>Never prints the password.</summary>
    public override string ToString() => $"{User}@{Endpoint} (sslmode={SslMode.Name()})";
}
