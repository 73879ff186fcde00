using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace PgBackup.Cli.Hosting;

/// <summary>
/// Options whose bad values are refused while parsing, with one line that names the option and
/// says what a valid value looks like. System.CommandLine's own messages name .NET types
/// ("System.Nullable`1[System.UInt32]") or span lines, and its numbers accept any value the type
/// holds (a negative lag).
/// </summary>
internal static class ValidatedOption
{
    /// <param name="what">What a valid value is, for the message: "a number of seconds", "a TCP port".</param>
    public static Option<int> WholeNumber(string name, int min, int max, int defaultValue, string what, string description) =>
        new(name)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result => Parse(result, name, min, max, what) ?? defaultValue,
        };

    /// <summary>An option whose absence means something (e.g. "take it from the policy"), so it has no default.</summary>
    public static Option<int?> OptionalWholeNumber(string name, int min, int max, string what, string description) =>
        new(name)
        {
            Description = description,
            CustomParser = result => Parse(result, name, min, max, what),
        };

    public static Option<string> OneOf(string name, string defaultValue, string[] choices, string description) =>
        new(name)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result =>
            {
                if (result.Tokens.Count == 0) return defaultValue;
                var text = result.Tokens[^1].Value;
                if (choices.Contains(text, StringComparer.Ordinal)) return text;
                result.AddError($"{name} '{text}' is not one of {string.Join(", ", choices)}");
                return defaultValue;
            },
        };

    private static int? Parse(ArgumentResult result, string name, int min, int max, string what)
    {
        if (result.Tokens.Count == 0) return null;
        var text = result.Tokens[^1].Value;
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
            return value;
        result.AddError($"{name} '{text}' is not {Valid(min, max, what)}");
        return null;
    }

    internal static string Valid(int min, int max, string what) =>
        max == int.MaxValue ? $"{what}, {min} or more" : $"{what} from {min} to {max}";
}
