using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace PgBackup.Repository.Codecs;

/// <summary>
/// A JSON document that carries the SHA-256 of its own content, the way pgBackRest's manifest
/// does: the document as serialised, with <c>"checksum":"&lt;64 hex&gt;",</c> inserted as its first
/// member. The checksum covers every byte of the document without that member, so anyone can check
/// it: <c>sed 's/^{"checksum":"[0-9a-f]*",/{/' manifest.json | sha256sum</c>.
/// </summary>
/// <remarks>
/// Byte-exact rather than over a re-serialised canonical form: nothing has to agree on how JSON is
/// re-written (escaping, number formats, indentation) for the check to hold, and a large manifest
/// is checked without building a document tree. Documents written before checksums existed have no
/// such member; they read as unchecked if they begin the way their kind used to
/// (<see cref="DocumentKind.FirstMemberBeforeChecksums"/>), and as damaged otherwise.
/// </remarks>
public static class DocumentChecksum
{
    private static ReadOnlySpan<byte> Opening => "{\"checksum\":\""u8;
    private const int HexLength = 64;
    private static readonly int SealedPrefixLength = Opening.Length + HexLength + 2; // the hex, then ",

    /// <summary>The document <paramref name="json"/> (a JSON object with at least one member) with its checksum as first member.</summary>
    public static byte[] Seal(ReadOnlySpan<byte> json)
    {
        if (json.Length < 2 || json[0] != (byte)'{' || json[1..].TrimStart(" \r\n\t"u8).StartsWith("}"u8))
            throw new ArgumentException("only a JSON object with members can carry a checksum", nameof(json));
        var hex = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA256.HashData(json)));
        return [.. Opening, .. hex, (byte)'"', (byte)',', .. json[1..]];
    }

    /// <summary>
    /// Checks a stored document and returns its content without the checksum member — exactly what
    /// was sealed — and whether a checksum vouched for it (false: an unchecked document of an older version).
    /// </summary>
    /// <remarks>The content is <paramref name="stored"/> itself, its checksum member overwritten in place: a
    /// manifest of tens of MiB is checked and parsed without another copy.</remarks>
    /// <exception cref="InvalidDataException">The checksum does not match, or the document has none and does not look like an older one.</exception>
    public static (ReadOnlyMemory<byte> Content, bool Checksummed) Open(ArraySegment<byte> stored, DocumentKind kind)
    {
        if (SealedHex(stored) is not { } recorded)
            return WrittenBeforeChecksums(stored, kind)
                ? (stored, false)
                : throw new InvalidDataException($"it has no intact checksum field, and a {kind.Name} written before checksums began with \"{kind.FirstMemberBeforeChecksums}\"");
        var content = stored[(SealedPrefixLength - 1)..];
        content[0] = (byte)'{';
        var actual = Convert.ToHexStringLower(SHA256.HashData(content));
        return actual == recorded
            ? (content, true)
            : throw new InvalidDataException($"its content has SHA-256 {actual}, its checksum field records {recorded}");
    }

    /// <summary>The checksum the document records in its first member, or null if it does not begin with one.</summary>
    private static string? SealedHex(ReadOnlySpan<byte> stored)
    {
        if (stored.Length <= SealedPrefixLength || !stored.StartsWith(Opening)) return null;
        var hex = stored.Slice(Opening.Length, HexLength);
        if (hex.IndexOfAnyExcept("0123456789abcdef"u8) >= 0 || !stored[(Opening.Length + HexLength)..].StartsWith("\","u8)) return null;
        return Encoding.ASCII.GetString(hex);
    }

    private static bool WrittenBeforeChecksums(ReadOnlySpan<byte> stored, DocumentKind kind)
    {
        try
        {
            var reader = new Utf8JsonReader(stored);
            return reader.Read() && reader.TokenType == JsonTokenType.StartObject
                && reader.Read() && reader.TokenType == JsonTokenType.PropertyName
                && reader.ValueTextEquals(kind.FirstMemberBeforeChecksums);
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
