namespace PgBackup.Policies;

/// <summary>
/// The known key a misspelt policy key most likely meant: the closest by edit distance (with
/// transpositions, the commonest typo), if it is close enough to be a typo rather than another key.
/// </summary>
internal static class KeySuggestion
{
    public static string? Closest(string unknown, IEnumerable<string> known) =>
        known.Select(k => (Key: k, Distance: Distance(unknown, k)))
            .Where(c => IsTypo(c.Distance, c.Key))
            .OrderBy(c => c.Distance)
            .Select(c => c.Key)
            .FirstOrDefault();

    public static bool IsClose(string unknown, string known) => IsTypo(Distance(unknown, known), known);

    /// <summary>A third of the key's length: "bukket" for "bucket", not "path" for "type".</summary>
    private static bool IsTypo(int distance, string known) => distance <= Math.Max(1, known.Length / 3);

    /// <summary>Optimal string alignment distance, ignoring case (YAML keys are case-sensitive, typos often are not).</summary>
    internal static int Distance(string a, string b)
    {
        a = a.ToLowerInvariant();
        b = b.ToLowerInvariant();
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
