namespace PgBackup.Postgres;

/// <summary>
/// A server error as part of a one-line error message: its text, then the DETAIL and HINT the
/// server sent, which often say what to do; line breaks inside them become spaces.
/// </summary>
public static class ServerErrorText
{
    /// <summary>e.g. <c>replication slot "x" is active for PID 42 (hint: …)</c>.</summary>
    public static string OneLine(string message, string? detail, string? hint)
    {
        var extra = new List<string>(2);
        if (!string.IsNullOrWhiteSpace(detail)) extra.Add("detail: " + Flatten(detail));
        if (!string.IsNullOrWhiteSpace(hint)) extra.Add("hint: " + Flatten(hint));
        return extra.Count == 0 ? Flatten(message) : $"{Flatten(message)} ({string.Join("; ", extra)})";
    }

    private static string Flatten(string text) =>
        string.Join(' ', text.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
