namespace PgBackup.Postgres.Replication;

/// <summary>TLS policy, with libpq's sslmode meanings.</summary>
public enum SslMode
{
    /// <summary>Plain TCP only.</summary>
    Disable,
    /// <summary>TLS if the server offers it, plain otherwise; the certificate is not checked.</summary>
    Prefer,
    /// <summary>TLS or fail; the certificate is not checked (protects against sniffing, not impersonation).</summary>
    Require,
    /// <summary>TLS with a certificate chaining to <see cref="ReplicationConnectionSettings.RootCertificatePath"/>.</summary>
    VerifyCA,
    /// <summary>As <see cref="VerifyCA"/>, and the certificate must name <see cref="ReplicationConnectionSettings.Host"/>.</summary>
    VerifyFull,
}

/// <summary>Where and how to open a physical replication connection.</summary>
public sealed record ReplicationConnectionSettings
{
    public required string Host { get; init; }
    public int Port { get; init; } = 5432;
    public required string User { get; init; }
    public string? Password { get; init; }
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
    public override string ToString() => $"{User}@{Endpoint} (sslmode={SslMode})";
}
