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

/// <summary>libpq's spelling of each <see cref="SslMode"/>, as policy files and messages write it.</summary>
public static class SslModes
{
    private static readonly (SslMode Mode, string Name)[] All =
    [
        (SslMode.Disable, "disable"),
        (SslMode.Prefer, "prefer"),
        (SslMode.Require, "require"),
        (SslMode.VerifyCA, "verify-ca"),
        (SslMode.VerifyFull, "verify-full"),
    ];

    /// <summary>Every libpq name, weakest first.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(m => m.Name)];

    /// <summary>The mode a libpq name (exact, lower-case spelling) stands for.</summary>
    public static SslMode Parse(string name) =>
        All.FirstOrDefault(m => m.Name == name) is { Name: not null } found
            ? found.Mode
            : throw new ArgumentException($"'{name}' is not an sslmode: use one of {string.Join(", ", Names)}", nameof(name));

    public static string Name(this SslMode mode) => All.First(m => m.Mode == mode).Name;
}
