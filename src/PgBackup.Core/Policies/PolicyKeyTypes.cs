namespace PgBackup.Policies;

/// <summary>The kinds of value a policy key can hold, each with its parser and its error messages (in <see cref="PolicyNode"/>).</summary>
internal static class PolicyKeyTypes
{
    public static PolicyKey<PolicyNode> RequiredSection(string path, string description, string missing = "required section is missing; see policies/example.yaml") =>
        new(path, "section", null, description, (n, k) => n.Mapping(k) ?? throw n.Missing(k, missing));

    /// <summary>An optional section; left out, it reads as empty, so each of its keys takes its default.</summary>
    public static PolicyKey<PolicyNode> Section(string path, string description) =>
        new(path, "section", null, description, (n, k) => n.Mapping(k) ?? n.Absent(k));

    public static PolicyKey<string> RequiredText(string path, string description) =>
        new(path, "text", null, description, (n, k) => n.RequiredString(k));

    public static PolicyKey<string> Text(string path, string @default, string description) =>
        new(path, "text", @default, description, (n, k) => n.String(k) ?? @default);

    public static PolicyKey<string?> OptionalText(string path, string description) =>
        new(path, "text", null, description, (n, k) => n.String(k));

    /// <summary>A file name, relative to the policy file.</summary>
    public static PolicyKey<string?> FilePath(string path, string description) =>
        new(path, "path", null, description, (n, k) => n.String(k) is { } p ? n.ResolvePath(p) : null);

    public static PolicyKey<string> RequiredFilePath(string path, string description) =>
        new(path, "path", null, description, (n, k) => n.ResolvePath(n.RequiredString(k)));

    public static PolicyKey<IReadOnlyList<string>> List(string path, string description) =>
        new(path, "list", null, description, (n, k) => n.StringList(k));

    /// <summary>Written as NAME_env or NAME_file; NAME itself is known only to refuse an inline secret.</summary>
    public static PolicyKey<Secret?> Secret(string path, string description)
    {
        var key = new PolicyKey<Secret?>(path, "secret (NAME_env or NAME_file)", null, description, (n, k) => n.Secret(k));
        return key with { Names = [key.Name, key.Name + "_env", key.Name + "_file"] };
    }

    public static PolicyKey<string> Choice(string path, string[] allowed, string @default, string description) =>
        new(path, "one of: " + string.Join(", ", allowed), @default, description, (n, k) => n.OneOf(k, allowed) ?? @default);

    public static PolicyKey<string?> OptionalChoice(string path, string[] allowed, string description) =>
        new(path, "one of: " + string.Join(", ", allowed), null, description, (n, k) => n.OneOf(k, allowed));

    public static PolicyKey<string> RequiredChoice(string path, string[] allowed, string missing, string description) =>
        new(path, "one of: " + string.Join(", ", allowed), null, description, (n, k) => n.OneOf(k, allowed) ?? throw n.Missing(k, missing));

    public static PolicyKey<int> WholeNumber(string path, int min, int max, int @default, string description) =>
        new(path, $"whole number {min}-{max}", @default, description, (n, k) => n.Int(k, min, max) ?? @default);

    public static PolicyKey<int?> OptionalWholeNumber(string path, int min, int max, string description) =>
        new(path, $"whole number {min}-{max}", null, description, (n, k) => n.Int(k, min, max));

    public static PolicyKey<bool> Flag(string path, bool @default, string description) =>
        new(path, "true or false", @default, description, (n, k) => n.Bool(k) ?? @default);

    /// <summary>A flag whose default depends on other keys: the loader decides it.</summary>
    public static PolicyKey<bool?> DerivedFlag(string path, string description) =>
        new(path, "true or false", null, description, (n, k) => n.Bool(k));

    public static PolicyKey<long> Size(string path, long @default, string description) =>
        new(path, "size", @default, description, (n, k) => n.Size(k) ?? @default);

    /// <param name="longest">The longest sensible value and why (part of the error when exceeded).</param>
    public static PolicyKey<TimeSpan> Duration(string path, TimeSpan @default, string description, (TimeSpan Limit, string Text, string Why)? longest = null) =>
        new(path, longest is { } l ? $"duration, at most {l.Text}" : "duration", @default, description, (n, k) =>
        {
            var value = n.Duration(k) ?? @default;
            if (longest is { } max && value > max.Limit)
                throw n.Error(k, $"'{n.String(k)}' is longer than {max.Text}; {max.Why}");
            return value;
        });

    public static PolicyKey<string?> Cron(string path, string description) =>
        new(path, "cron (5 fields: minute hour day month weekday)", null, description, (n, k) =>
        {
            var cron = n.String(k);
            if (cron is null) return null;
            if (cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length is not (5 or 6))
                throw n.Error(k, $"'{cron}' is not a cron expression (5 fields: minute hour day month weekday)");
            try
            {
                CronSchedule.Parse(cron);
            }
            catch (Cronos.CronFormatException e)
            {
                throw n.Error(k, $"'{cron}' is not a cron expression: {e.Message.TrimEnd('.')}");
            }
            return cron;
        });

    public static PolicyKey<string> TimeZone(string path, string @default, string description) =>
        new(path, "IANA time zone", @default, description, (n, k) =>
        {
            var tz = n.String(k) ?? @default;
            if (!TimeZoneInfo.TryFindSystemTimeZoneById(tz, out _))
                throw n.Error(k, $"'{tz}' is not a known time zone (use an IANA name such as Europe/Berlin)");
            return tz;
        });
}
