using System.Text.Json;
using PgBackup.Errors;

namespace PgBackup.Formats.ServerArchives;

/// <summary>One file as PostgreSQL's backup_manifest lists it.</summary>
public sealed record PostgresManifestFile(string Path, long Size, string? ChecksumAlgorithm, string? Checksum);

/// <summary>
/// PostgreSQL's own backup_manifest, read back: for server-compressed backups it is the list of
/// files and their checksums that every restored file is checked against.
/// </summary>
public static class PostgresManifestIndex
{
    public static async Task<IReadOnlyDictionary<string, PostgresManifestFile>> LoadAsync(string path, CancellationToken ct)
    {
        await using var stream = File.OpenRead(path);
        using var doc = await JsonDocument.ParseAsync(stream, cancellationToken: ct).ConfigureAwait(false);
        if (!doc.RootElement.TryGetProperty("Files", out var files))
            throw new RepositoryException($"{path} has no Files list: PostgreSQL's backup_manifest of this backup is damaged");
        var index = new Dictionary<string, PostgresManifestFile>(StringComparer.Ordinal);
        foreach (var f in files.EnumerateArray())
        {
            var name = f.GetProperty("Path").GetString()!;
            index[name] = new PostgresManifestFile(name, f.GetProperty("Size").GetInt64(),
                f.TryGetProperty("Checksum-Algorithm", out var a) ? a.GetString() : null,
                f.TryGetProperty("Checksum", out var c) ? c.GetString() : null);
        }
        return index;
    }
}
