using System.Text.RegularExpressions;
using PgBackup.Postgres.Replication;

namespace PgBackup.Repository;

/// <summary>
/// The rule for a cluster's name, which names its folder in the repository and, through
/// <see cref="ArchiverSlot"/>, the archiver's replication slot on members: so a name that passes
/// is safe in object keys and always makes a valid slot name.
/// </summary>
public static partial class ClusterName
{
    private const string SlotPrefix = "pgbackup_";

    /// <summary>The rule in words, for error messages.</summary>
    public const string Rule = "1-54 letters, digits, '-' or '_', starting with a letter or digit";

    public static bool IsValid(string name) => Pattern().IsMatch(name);

    /// <summary>The archiver's default slot: <c>pgbackup_</c> and the name, lower-cased, with '-' as '_'.</summary>
    public static string ArchiverSlot(string cluster)
    {
        if (!IsValid(cluster))
            throw new ArgumentException($"cluster name '{cluster}' is not valid: use {Rule}", nameof(cluster));
        return SlotPrefix + cluster.Replace('-', '_').ToLowerInvariant();
    }

    // 54 = 63 bytes of a slot name less the prefix.
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,53}$")]
    private static partial Regex Pattern();
}
