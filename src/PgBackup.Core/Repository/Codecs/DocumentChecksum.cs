using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PgBackup.IO;

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
        RequireMembers(json);
        return [.. SealedPrefix(Convert.ToHexStringLower(SHA256.HashData(json))), .. json[1..]];
    }

    /// <summary>
    /// <see cref="Seal"/> for a document too large to hold twice (the manifest of a cluster of many files):
    /// <paramref name="serialize"/> runs twice, into the checksum and then into <paramref name="destination"/>,
    /// so the document is never buffered. It must write the same bytes both times, as a serializer of an unchanged object does.
    /// </summary>
    /// <exception cref="ArgumentException">The document is not a JSON object with members; what the destination got is unusable.</exception>
    public static async Task SealAsync(Func<Stream, CancellationToken, Task> serialize, Stream destination, CancellationToken ct)
    {
        string sha256;
        await using (var hashing = new HashingStream(Stream.Null))
        {
            await serialize(hashing, ct).ConfigureAwait(false);
            sha256 = hashing.Sha256;
        }
        await destination.WriteAsync(SealedPrefix(sha256), ct).ConfigureAwait(false);
        await using var body = new DocumentBody(destination);
        await serialize(body, ct).ConfigureAwait(false);
        body.Complete();
    }

    private static void RequireMembers(ReadOnlySpan<byte> json)
    {
        if (json.Length < 2 || json[0] != (byte)'{' || json[1..].TrimStart(Whitespace).StartsWith("}"u8))
            throw NoMembers();
    }

    private static ArgumentException NoMembers() => new("only a JSON object with members can carry a checksum", "json");

    private static ReadOnlySpan<byte> Whitespace => " \r\n\t"u8;

    /// <summary>The checksum member and the opening brace it follows: what replaces the document's own opening brace.</summary>
    private static byte[] SealedPrefix(string sha256) => [.. Opening, .. Encoding.ASCII.GetBytes(sha256), (byte)'"', (byte)','];

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

    /// <summary>
    /// Passes a document on to the destination without its opening brace (<see cref="SealedPrefix"/> wrote one), checking
    /// as <see cref="RequireMembers"/> does that it is an object with members: the brace first, then not at once its end.
    /// </summary>
    private sealed class DocumentBody(Stream destination) : ForwardWriteStream
    {
        private enum Expecting { Brace, FirstMember, Nothing }

        private Expecting _expecting = Expecting.Brace;

        public override void Write(ReadOnlySpan<byte> buffer) => destination.Write(buffer[Checked(buffer)..]);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            destination.WriteAsync(buffer[Checked(buffer.Span)..], cancellationToken);

        public override Task FlushAsync(CancellationToken cancellationToken) => destination.FlushAsync(cancellationToken);

        /// <summary>The document ended: one that never reached its first member has none.</summary>
        public void Complete()
        {
            if (_expecting != Expecting.Nothing) throw NoMembers();
        }

        /// <summary>Checks the document's first bytes; returns how many of <paramref name="buffer"/> to drop (the brace).</summary>
        private int Checked(ReadOnlySpan<byte> buffer)
        {
            if (_expecting == Expecting.Nothing || buffer.IsEmpty) return 0;
            var skip = 0;
            if (_expecting == Expecting.Brace)
            {
                if (buffer[0] != (byte)'{') throw NoMembers();
                (_expecting, skip) = (Expecting.FirstMember, 1);
            }
            var rest = buffer[skip..].TrimStart(Whitespace);
            if (!rest.IsEmpty)
                _expecting = rest[0] == (byte)'}' ? throw NoMembers() : Expecting.Nothing;
            return skip;
        }
    }
}
