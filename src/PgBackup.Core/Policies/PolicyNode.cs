using System.Diagnostics;
using System.Globalization;
using PgBackup.Errors;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PgBackup.Policies;

/// <summary>
/// A YAML mapping of a policy file that remembers where it is (file, line, dotted key path), so
/// every validation error can name the exact spot, and that rejects keys it was never asked for
/// (a misspelt key must not silently fall back to a default). Its parsers are the value types of
/// <see cref="PolicyKeyTypes"/>; the loader reads through <see cref="Get"/>.
/// </summary>
internal sealed class PolicyNode
{
    private readonly YamlMappingNode _map;
    private readonly string _file;
    private readonly string _path;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private PolicyNode(YamlMappingNode map, string file, string path)
    {
        _map = map;
        _file = file;
        _path = path;
    }

    public static PolicyNode Root(string file, string yaml)
    {
        var parser = new Parser(new StringReader(yaml));
        var stream = new YamlStream();
        try
        {
            stream.Load(parser);
        }
        catch (YamlException e)
        {
            var line = Math.Max(1, e.Start.Line);
            // YamlDotNet places a tab error at the start of the enclosing mapping; the tab itself is what to fix.
            if (e.Message.Contains("tab", StringComparison.OrdinalIgnoreCase) && TabIndentedLine(yaml, line) is { } tab)
                throw new UsageException($"{file}:{tab}: a tab in the indentation; YAML indents with spaces only");
            if (e.Message.StartsWith("Duplicate key ", StringComparison.Ordinal))
                throw new UsageException($"{file}:{line}: '{FirstLine(e.Message)["Duplicate key ".Length..]}' appears twice in the same section; keep one");
            throw new UsageException($"{file}:{line}: not valid YAML: {FirstLine(e.Message)}");
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's parser fails this way, without a position, on some flow collections left open.
            throw new UsageException($"{file}:{Math.Max(1, parser.Current?.Start.Line ?? 1)}: not valid YAML: a [list] or {{mapping}} that is not closed, or text after it that does not belong there");
        }
        if (stream.Documents.Count == 0)
            throw new UsageException($"{file}:1: the policy file is empty; see policies/example.yaml for what goes in it");
        if (stream.Documents.Count > 1)
            throw new UsageException($"{file}:{stream.Documents[1].RootNode.Start.Line}: a second YAML document (after ---); a policy file holds one cluster's policy, put another cluster in its own file");
        var root = stream.Documents[0].RootNode;
        if (root is not YamlMappingNode map)
            throw new UsageException($"{file}:{root.Start.Line}: a policy must be a YAML mapping (key: value lines), not {Describe(root)}; see policies/example.yaml");
        return new PolicyNode(map, file, "");
    }

    /// <summary>A section the file leaves out: every key of it takes its default.</summary>
    public PolicyNode Absent(string key) => new(new YamlMappingNode(), _file, Qualify(key)) { IsWritten = false };

    /// <summary>False for an <see cref="Absent"/> section.</summary>
    public bool IsWritten { get; private init; } = true;

    /// <summary>The key's value, or its default (<see cref="PolicyKeys"/>).</summary>
    public T Get<T>(PolicyKey<T> key)
    {
        Debug.Assert(key.Section == _path, $"{key.Path} is not a key of section '{_path}'");
        return key.Read(this, key.Name);
    }

    public UsageException Error(PolicyKey key, string problem) => Error(key.Name, problem);

    public UsageException Error(string key, string problem) =>
        new($"{_file}:{LineOf(key)}: {Qualify(key)}: {problem}");

    public string? String(string key)
    {
        var node = Get(key);
        if (node is null) return null;
        if (node is not YamlScalarNode scalar)
            throw Error(key, "expected a single value, not a list or mapping");
        return string.IsNullOrEmpty(scalar.Value) ? null : scalar.Value;
    }

    public string RequiredString(string key) =>
        String(key) ?? throw Missing(key, "required; see policies/example.yaml");

    /// <summary>
    /// The error for a required key that is absent. If an unknown key of this mapping looks like
    /// it, the typo is the real problem: "bukket" is reported, not a missing "bucket".
    /// </summary>
    public UsageException Missing(string key, string problem)
    {
        var known = PolicyKeys.NamesIn(_path);
        foreach (var (k, _) in _map.Children)
        {
            if (k is YamlScalarNode { Value: { } name } && !known.Contains(name) && KeySuggestion.IsClose(name, key))
                return UnknownKey(k, name, key);
        }
        return Error(key, problem);
    }

    public int? Int(string key, int min, int max)
    {
        var text = String(key);
        if (text is null) return null;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
            throw Error(key, $"'{text}' is not a whole number between {min} and {max}");
        return v;
    }

    public bool? Bool(string key)
    {
        var text = String(key);
        if (text is null) return null;
        return text.ToLowerInvariant() switch
        {
            "true" or "yes" or "on" => true,
            "false" or "no" or "off" => false,
            _ => throw Error(key, $"'{text}' is not true or false"),
        };
    }

    public long? Size(string key)
    {
        var text = String(key);
        if (text is null) return null;
        if (!ByteSize.TryParse(text, out var bytes) || bytes < 0)
            throw Error(key, $"'{text}' is not a size (examples: 16MB, 1GB, 1048576)");
        return bytes;
    }

    /// <summary>Durations as PostgreSQL writes them: 500ms, 1s, 5min, 2h, 7d.</summary>
    public TimeSpan? Duration(string key)
    {
        var text = String(key);
        if (text is null) return null;
        var s = text.Trim();
        (string Suffix, double Ms)[] units = [("ms", 1), ("min", 60_000), ("s", 1000), ("h", 3_600_000), ("d", 86_400_000)];
        foreach (var (suffix, ms) in units)
        {
            if (s.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(s[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0)
                return TimeSpan.FromMilliseconds(n * ms);
        }
        throw Error(key, $"'{text}' is not a duration (examples: 500ms, 3s, 5min, 2h, 7d)");
    }

    public string? OneOf(string key, params string[] allowed)
    {
        var text = String(key);
        if (text is null) return null;
        if (!allowed.Contains(text, StringComparer.Ordinal))
            throw Error(key, $"'{text}' is not one of: {string.Join(", ", allowed)}");
        return text;
    }

    public PolicyNode? Mapping(string key)
    {
        var node = Get(key);
        if (node is null) return null;
        if (node is not YamlMappingNode map) throw Error(key, "expected a mapping (indented key: value lines)");
        return new PolicyNode(map, _file, Qualify(key));
    }

    public IReadOnlyList<string> StringList(string key)
    {
        var node = Get(key);
        return node switch
        {
            null => [],
            YamlScalarNode s when !string.IsNullOrEmpty(s.Value) => [s.Value],
            YamlSequenceNode seq => seq.Children.Select(c => c is YamlScalarNode { Value: { Length: > 0 } v }
                ? v
                : throw Error(key, "every list item must be a single value")).ToList(),
            _ => throw Error(key, "expected a list of values"),
        };
    }

    /// <summary>
    /// A secret given as KEY_env (an environment variable name) or KEY_file (a path, relative to
    /// the policy file). Inline values are refused: policy files get copied, committed and pasted.
    /// </summary>
    public Secret? Secret(string key)
    {
        if (Get(key) is not null)
            throw Error(key, $"secrets are never written inline; use {key}_env (an environment variable) or {key}_file (a file readable only by you)");
        var envName = String(key + "_env");
        var file = String(key + "_file");
        if (envName is not null && file is not null)
            throw Error(key + "_env", $"give either {key}_env or {key}_file, not both");
        if (envName is not null)
        {
            var value = Environment.GetEnvironmentVariable(envName);
            if (string.IsNullOrEmpty(value))
                throw Error(key + "_env", $"environment variable {envName} is not set; export it before running pgbackup");
            return new Secret(value, "env " + envName);
        }
        if (file is not null)
        {
            var path = ResolvePath(file);
            string value;
            try { value = File.ReadAllText(path).TrimEnd('\r', '\n'); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Error(key + "_file", $"cannot read {path}: {e.Message}");
            }
            return new Secret(value, "file " + path);
        }
        return null;
    }

    /// <summary>Paths inside a policy are relative to the policy file, not to the current directory.</summary>
    public string ResolvePath(string path) =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(_file)) ?? ".", path));

    /// <summary>
    /// Call after reading a mapping: any key not read is a typo or an unsupported option (or one of
    /// another setting, such as path with type s3). A typo is named with the key it most likely meant.
    /// </summary>
    public void RejectUnknownKeys()
    {
        foreach (var (k, _) in _map.Children)
        {
            var name = (k as YamlScalarNode)?.Value ?? "?";
            if (!_read.Contains(name))
                throw UnknownKey(k, name, KeySuggestion.Closest(name, PolicyKeys.NamesIn(_path).Where(known => known != name)));
        }
    }

    private UsageException UnknownKey(YamlNode key, string name, string? meant) =>
        new($"{_file}:{key.Start.Line}: {Qualify(name)}: unknown key; " +
            (meant is null ? "see policies/example.yaml for every key" : $"did you mean '{meant}'? (every key is in policies/example.yaml)"));

    private YamlNode? Get(string key)
    {
        _read.Add(key);
        return _map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node : null;
    }

    private long LineOf(string key) =>
        _map.Children.FirstOrDefault(kv => (kv.Key as YamlScalarNode)?.Value == key).Key?.Start.Line ?? _map.Start.Line;

    private string Qualify(string key) => _path.Length == 0 ? key : _path + "." + key;

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();

    private static string Describe(YamlNode node) => node switch
    {
        YamlSequenceNode => "a list",
        YamlScalarNode { Value: { Length: > 0 } } => "a single value",
        _ => "an empty document",
    };

    /// <summary>The first line at or after <paramref name="from"/> whose indentation holds a tab.</summary>
    private static int? TabIndentedLine(string yaml, long from)
    {
        var lines = yaml.Split('\n');
        for (var i = (int)from - 1; i < lines.Length; i++)
        {
            if (lines[i].TakeWhile(char.IsWhiteSpace).Contains('\t'))
                return i + 1;
        }
        return null;
    }
}
