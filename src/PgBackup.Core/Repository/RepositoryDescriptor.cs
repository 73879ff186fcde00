using System.Text.Json;
using System.Text.Json.Serialization;
using PgBackup.Errors;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Storage;

namespace PgBackup.Repository;

/// <summary>
/// repo.json: what a repository holds and how it is written, checked before anything else is read
/// or written so one cluster never mixes its backups or WAL into another's. Carries its own
/// <see cref="DocumentChecksum"/>, so a flipped digit of the system identifier is an error, not another system.
/// </summary>
public sealed record RepositoryDescriptor
{
    /// <summary>The repository format this code reads and writes (DESIGN.md, "Repository format").</summary>
    public const int CurrentFormatVersion = 1;

    public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>PostgreSQL's database system identifier (IDENTIFY_SYSTEM), as text: it is a 64-bit unsigned number.</summary>
    public required string SystemIdentifier { get; init; }

    public required int PgMajor { get; init; }

    public string Compression { get; init; } = RepositoryCodec.Name;

    public required int ChunkSize { get; init; }

    /// <summary>
    /// 4 MiB chunks: measured on pgbench heap and md5-text tables, zstd speed and ratio are flat
    /// from 4 MiB up while smaller chunks cost speed; big enough to amortise per-chunk work, small
    /// enough that a worker's buffers stay small.
    /// </summary>
    public const int DefaultChunkSize = 4 << 20;

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>
    /// <see cref="Codecs.EncryptionKey.KeyCheck"/> of the key every object is encrypted with; null
    /// for an unencrypted repository. repo.json itself stays plain so the check can be read first.
    /// </summary>
    public string? KeyCheck { get; init; }

    /// <summary>The repository's repo.json, or null for a repository that does not exist yet.</summary>
    /// <exception cref="RepositoryException">repo.json is unreadable, fails its checksum, or is of an unknown format version.</exception>
    public static async Task<RepositoryDescriptor?> ReadAsync(IObjectStore store, RepositoryLayout layout, CancellationToken ct = default) =>
        (await ReadCheckedAsync(store, layout, ct).ConfigureAwait(false))?.Descriptor;

    /// <summary>As <see cref="ReadAsync"/>, and whether its checksum vouched for it (false: written by an older version, unchecked).</summary>
    public static async Task<(RepositoryDescriptor Descriptor, bool Checksummed)?> ReadCheckedAsync(IObjectStore store, RepositoryLayout layout, CancellationToken ct = default)
    {
        var key = layout.Descriptor;
        RepositoryDescriptor? found;
        bool checksummed;
        try
        {
            using var stored = new MemoryStream();
            await using (var stream = await store.OpenReadAsync(key, ct).ConfigureAwait(false))
                await stream.CopyToAsync(stored, ct).ConfigureAwait(false);
            (var content, checksummed) = DocumentChecksum.Open(stored.ToArray(), DocumentKind.RepositoryDescriptor);
            found = JsonSerializer.Deserialize(content.Span, RepositoryJsonContext.Default.RepositoryDescriptor);
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            throw new RepositoryException($"'{key}' in {store.Describe} is not valid ({e.Message.Split('\n')[0]}): restore it from a copy or point the policy at the right repository", e);
        }
        if (found is null || found.FormatVersion != CurrentFormatVersion)
            throw new RepositoryMismatchException($"'{key}' in {store.Describe} has repository format {found?.FormatVersion.ToString() ?? "null"}, this pgbackup reads format {CurrentFormatVersion}: use a pgbackup version that matches the repository");
        return (found, checksummed);
    }

    /// <summary>
    /// Returns the repository's descriptor, writing <paramref name="expected"/> if there is none yet;
    /// fails if the repository belongs to another system or PostgreSQL major version.
    /// </summary>
    public static async Task<RepositoryDescriptor> OpenOrCreateAsync(IObjectStore store, RepositoryLayout layout, RepositoryDescriptor expected, CancellationToken ct = default)
    {
        if (await ReadAsync(store, layout, ct).ConfigureAwait(false) is not { } found)
        {
            await store.PutAsync(layout.Descriptor, DocumentChecksum.Seal(JsonSerializer.SerializeToUtf8Bytes(expected, RepositoryJsonContext.Default.RepositoryDescriptor)), ct).ConfigureAwait(false);
            return expected;
        }
        if (found.SystemIdentifier != expected.SystemIdentifier)
            throw new RepositoryMismatchException($"'{layout.Descriptor}' in {store.Describe} belongs to database system {found.SystemIdentifier}, but cluster '{layout.Cluster}' is system {expected.SystemIdentifier}: use another cluster name or repository for a new cluster");
        if (found.PgMajor != expected.PgMajor)
            throw new RepositoryMismatchException($"'{layout.Descriptor}' in {store.Describe} holds PostgreSQL {found.PgMajor} backups, but the cluster runs PostgreSQL {expected.PgMajor}: after a major upgrade, start a new repository or cluster name");
        if (KeyMismatch(found.KeyCheck, expected.KeyCheck) is { } problem)
            throw new RepositoryMismatchException($"'{layout.Descriptor}' in {store.Describe}: {problem}");
        return found;
    }

    /// <summary>Why objects of a repository whose key check is <paramref name="stored"/> cannot be read or written with a key whose check is <paramref name="given"/>; null if they can.</summary>
    internal static string? KeyMismatch(string? stored, string? given) => (stored, given) switch
    {
        (null, null) => null,
        (null, _) => "the repository is not encrypted, but the policy gives an encryption key: remove repository.encryption_key_env/_file from the policy, or start a new repository (an existing one cannot be encrypted in place)",
        (_, null) => "the repository is encrypted: set repository.encryption_key_env or repository.encryption_key_file in the policy to its key",
        _ when stored == given => null,
        _ => "the policy's encryption key is not this repository's key (the key check in repo.json differs): use the key the repository was created with",
    };
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    AllowDuplicateProperties = false, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(RepositoryDescriptor))]
internal sealed partial class RepositoryJsonContext : JsonSerializerContext;
