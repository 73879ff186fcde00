using System.Security.Cryptography;

namespace PgBackup.Repository.Codecs;

/// <summary>
/// A repository's 256-bit encryption key. It renders as its origin, never its value, so logging a
/// policy or an exception cannot leak it.
/// </summary>
public sealed class EncryptionKey
{
    public const int Length = 32;

    // Labels keep the two uses of the key apart: a key check reveals nothing about object keys.
    private static readonly byte[] KeyCheckLabel = "pgbackup key check v1"u8.ToArray();
    private static readonly byte[] ObjectKeyLabel = "pgbackup object key v1"u8.ToArray();

    private readonly byte[] _key;

    private EncryptionKey(byte[] key, string origin)
    {
        _key = key;
        Origin = origin;
        KeyCheck = Convert.ToHexStringLower(HMACSHA256.HashData(key, KeyCheckLabel));
    }

    /// <summary>Where the key came from, e.g. "env PGBACKUP_KEY" — safe to print.</summary>
    public string Origin { get; }

    /// <summary>
    /// HMAC-SHA256 of a fixed label under the key, stored in repo.json: proves a key is the
    /// repository's before anything is decrypted, and cannot be turned back into the key.
    /// </summary>
    public string KeyCheck { get; }

    /// <summary>The key written as 64 hex digits or as base64 of 32 bytes (surrounding whitespace ignored); null if it is neither.</summary>
    public static EncryptionKey? TryParse(string text, string origin)
    {
        var trimmed = text.Trim();
        if (trimmed.Length == 2 * Length && trimmed.All(char.IsAsciiHexDigit))
            return new EncryptionKey(Convert.FromHexString(trimmed), origin);
        var decoded = new byte[trimmed.Length];
        return Convert.TryFromBase64String(trimmed, decoded, out var length) && length == Length
            ? new EncryptionKey(decoded[..Length], origin)
            : null;
    }

    /// <summary>A cipher under the key of one object: HKDF-SHA256 of this key with the object's random salt.</summary>
    internal AesGcm CipherFor(ReadOnlySpan<byte> salt)
    {
        Span<byte> objectKey = stackalloc byte[Length];
        try
        {
            HKDF.DeriveKey(HashAlgorithmName.SHA256, _key, objectKey, salt, ObjectKeyLabel);
            return new AesGcm(objectKey, SealedBlocks.TagLength);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(objectKey);
        }
    }

    public override string ToString() => $"<encryption key from {Origin}>";
}
