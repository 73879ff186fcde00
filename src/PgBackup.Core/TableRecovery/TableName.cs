using System.Text;
using System.Text.RegularExpressions;
using PgBackup.Errors;

namespace PgBackup.TableRecovery;

/// <summary>
/// A table as an operator names it on the command line, [schema.]name, with SQL's identifier rules:
/// an unquoted part folds to lower case, a "quoted" one keeps its case. The schema defaults to public.
/// </summary>
public sealed partial record TableName(string Schema, string Name)
{
    private const int MaxIdentifierBytes = 63;

    public static TableName Parse(string text)
    {
        var parts = SplitParts(text) ?? throw Invalid(text);
        var names = parts.Select(p => Identifier(p) ?? throw Invalid(text)).ToList();
        return names.Count switch
        {
            1 => new TableName("public", names[0]),
            2 => new TableName(names[0], names[1]),
            _ => throw Invalid(text),
        };
    }

    /// <summary>
    /// The name under which the copy is restored: <paramref name="pattern"/> with * standing for the
    /// table's own name (recovered_* makes recovered_accounts), in the table's schema; itself without one.
    /// </summary>
    public TableName Renamed(string? pattern) => pattern is null ? this : this with { Name = pattern.Replace("*", Name, StringComparison.Ordinal) };

    /// <summary>Checks an --as pattern: an unquoted identifier, * allowed, folded to lower case like SQL would.</summary>
    public static string ParsePattern(string pattern, int tables)
    {
        if (!PatternSyntax().IsMatch(pattern) || Encoding.UTF8.GetByteCount(pattern) > MaxIdentifierBytes)
            throw new UsageException($"--as '{pattern}' is not a table name or pattern; use letters, digits and _, with * for each table's own name (e.g. recovered_*)");
        if (tables > 1 && !pattern.Contains('*', StringComparison.Ordinal))
            throw new UsageException($"--as '{pattern}' would give {tables} tables one name; put * in it for each table's own name (e.g. recovered_*)");
        return pattern.ToLowerInvariant();
    }

    /// <summary>Quoted for SQL, exactly this table.</summary>
    public string Sql => $"{Quote(Schema)}.{Quote(Name)}";

    public override string ToString() => $"{Schema}.{Name}";

    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>Splits on the dots outside double quotes; null when a quote is left open.</summary>
    private static List<string>? SplitParts(string text)
    {
        var parts = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        foreach (var c in text)
        {
            if (c == '"') quoted = !quoted;
            if (c == '.' && !quoted)
            {
                parts.Add(current.ToString());
                current.Clear();
            }
            else current.Append(c);
        }
        parts.Add(current.ToString());
        return quoted ? null : parts;
    }

    private static string? Identifier(string part)
    {
        string name;
        if (part.Length >= 2 && part[0] == '"' && part[^1] == '"')
        {
            var inner = part[1..^1];
            if (inner.Replace("\"\"", "", StringComparison.Ordinal).Contains('"', StringComparison.Ordinal)) return null;
            name = inner.Replace("\"\"", "\"", StringComparison.Ordinal);
        }
        else if (UnquotedSyntax().IsMatch(part)) name = part.ToLowerInvariant();
        else return null;
        return name.Length > 0 && Encoding.UTF8.GetByteCount(name) <= MaxIdentifierBytes ? name : null;
    }

    private static UsageException Invalid(string text) =>
        new($"--table '{text}' is not a table name; write [schema.]name, e.g. public.accounts (quote a mixed-case part: '\"Accounts\"')");

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_$]*$")]
    private static partial Regex UnquotedSyntax();

    [GeneratedRegex("^[A-Za-z_*][A-Za-z0-9_$*]*$")]
    private static partial Regex PatternSyntax();
}
