namespace PgBackup.Policies;

/// <summary>
/// A password or key read from an environment variable or a file. It renders as its origin,
/// never its value, so logging a policy or an exception cannot leak it.
/// </summary>
public sealed class Secret
{
    private readonly string _value;

    public Secret(string value, string origin)
    {
        _value = value;
        Origin = origin;
    }

    /// <summary>Where the value came from, e.g. "env PGBACKUP_PASSWORD" — safe to print.</summary>
    public string Origin { get; }

    public string Reveal() => _value;

    public override string ToString() => $"<secret from {Origin}>";
}
