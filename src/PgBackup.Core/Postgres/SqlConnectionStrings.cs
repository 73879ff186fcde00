using Npgsql;

namespace PgBackup.Postgres;

/// <summary>The one recipe for an Npgsql connection string to a member: probes, slot views and drills connect alike.</summary>
internal static class SqlConnectionStrings
{
    public static string For(string host, int port, string user, string? password, string database,
        Replication.SslMode sslMode, string? rootCertificate, TimeSpan connectTimeout, string applicationName) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = host,
            Port = port,
            Username = user,
            Password = password,
            Database = database,
            SslMode = ToNpgsql(sslMode),
            RootCertificate = rootCertificate,
            Timeout = Math.Max(1, (int)connectTimeout.TotalSeconds),
            CommandTimeout = 10,
            ApplicationName = applicationName,
            Pooling = false,
        }.ConnectionString;

    private static SslMode ToNpgsql(Replication.SslMode mode) => mode switch
    {
        Replication.SslMode.Disable => SslMode.Disable,
        Replication.SslMode.Prefer => SslMode.Prefer,
        Replication.SslMode.Require => SslMode.Require,
        Replication.SslMode.VerifyCA => SslMode.VerifyCA,
        Replication.SslMode.VerifyFull => SslMode.VerifyFull,
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };
}
