using System.Globalization;
using System.Text.Json;
using PgBackup.Errors;

namespace PgBackup.Cluster;

/// <summary>
/// Turns a GET /cluster body into <see cref="ClusterState"/>. Lenient with fields Patroni added
/// over versions, strict about the ones ranking depends on: garbage is an error, not a guess.
/// </summary>
public static class PatroniClusterParser
{
    public static ClusterState Parse(string json, Uri answeredBy)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("members", out var members) || members.ValueKind != JsonValueKind.Array)
                throw Garbage(answeredBy, "no members array");
            var list = members.EnumerateArray().Select(m => ParseMember(m, answeredBy)).ToList();
            var paused = root.TryGetProperty("pause", out var p) && p.ValueKind == JsonValueKind.True;
            return new ClusterState(list, paused, answeredBy);
        }
        catch (JsonException e)
        {
            throw Garbage(answeredBy, "not JSON: " + e.Message.Split('\n')[0]);
        }
    }

    private static ClusterMember ParseMember(JsonElement m, Uri answeredBy)
    {
        if (m.ValueKind != JsonValueKind.Object) throw Garbage(answeredBy, "a member is not an object");
        string Required(string name) => m.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw Garbage(answeredBy, $"a member has no '{name}'");
        string? OptionalString(string name) => m.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        int? OptionalInt(string name) => m.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;

        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (m.TryGetProperty("tags", out var t) && t.ValueKind == JsonValueKind.Object)
            foreach (var tag in t.EnumerateObject())
                tags[tag.Name] = tag.Value.ValueKind == JsonValueKind.String ? tag.Value.GetString()! : tag.Value.GetRawText();

        return new ClusterMember(
            Required("name"),
            Required("role"),
            OptionalString("state") ?? "unknown",
            OptionalString("host"),
            OptionalInt("port"),
            OptionalInt("timeline"),
            Lag(m),
            tags,
            OptionalString("api_url"));
    }

    /// <summary>Patroni 3.0 reports "lag" (int or "unknown"); 3.1+ adds "replay_lag", which is the one that matters for backups.</summary>
    private static long? Lag(JsonElement m)
    {
        foreach (var name in new[] { "replay_lag", "lag" })
        {
            if (!m.TryGetProperty(name, out var v)) continue;
            if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n)) return Math.Max(0, n);
            if (v.ValueKind == JsonValueKind.String && long.TryParse(v.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var s)) return s;
            return null;
        }
        return null;
    }

    private static SourceUnavailableException Garbage(Uri url, string what) =>
        new($"Patroni at {url} returned an unexpected /cluster response ({what}); check that the URL points at a Patroni REST API");
}
