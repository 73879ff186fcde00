using System.Text.RegularExpressions;

namespace PgBackup.Postgres.Replication;

/// <summary>
/// The server's rule for replication slot names (ReplicationSlotValidateName): 1-63 bytes of
/// a-z, 0-9 and '_'. Names that pass are also safe to splice into replication commands.
/// </summary>
public static partial class ReplicationSlotName
{
    /// <summary>The rule in words, for error messages.</summary>
    public const string Rule = "1-63 characters of a-z, 0-9 and _";

    public static bool IsValid(string name) => Pattern().IsMatch(name);

    [GeneratedRegex("^[a-z0-9_]{1,63}$")]
    private static partial Regex Pattern();
}
