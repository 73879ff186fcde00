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
        RequireMembers(json);
        return [.. SealedPrefix(SHA256.HashData(json)), .. json[1..]];
    }

    /// <summary>
    /// <see cref="Seal"/> for a document too large to hold twice (the manifest of a cluster of many files):
    /// <paramref name="serialize"/> runs twice, into the checksum and then into <paramref name="destination"/>,
    /// so the document is never buffered. It must write the same bytes both times, as a serializer of an unchanged object does.
    /// </summary>
    public static async Task SealAsync(Func<Stream, CancellationToken, Task> serialize, Stream destination, CancellationToken ct)
    {
        byte[] sha256;
        await using (var hashing = new HashingStream())
        {
            await serialize(hashing, ct).ConfigureAwait(false);
            RequireMembers(hashing.Start);
            sha256 = hashing.Hash();
        }
        await destination.WriteAsync(SealedPrefix(sha256), ct).ConfigureAwait(false);
        await using var body = new AfterOpeningBrace(destination);
        await serialize(body, ct).ConfigureAwait(false);
    }

    private static void RequireMembers(ReadOnlySpan<byte> json)
    {
        if (json.Length < 2 || json[0] != (byte)'{' || json[1..].TrimStart(" \r\n\t"u8).StartsWith("}"u8))
            throw new ArgumentException("only a JSON object with members can carry a checksum", nameof(json));
    }

    /// <summary>The checksum member and the opening brace it follows: what replaces the document's own opening brace.</summary>
    private static byte[] SealedPrefix(byte[] sha256) =>
        [.. Opening, .. Encoding.ASCII.GetBytes(Convert.ToHexStringLower(sha256)), (byte)'"', (byte)','];

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

    /// <summary>A write-only stream into SHA-256 that keeps the document's first bytes (for <see cref="RequireMembers"/>).</summary>
    private sealed class HashingStream : WriteOnlyStream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private readonly byte[] _start = new byte[64];
        private int _startLength;

        public ReadOnlySpan<byte> Start => _start.AsSpan(0, _startLength);

        public byte[] Hash() => _hash.GetHashAndReset();

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            var n = Math.Min(buffer.Length, _start.Length - _startLength);
            buffer[..n].CopyTo(_start.AsSpan(_startLength));
            _startLength += n;
            _hash.AppendData(buffer);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _hash.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>Passes a document on to the destination without its first byte, the opening brace (<see cref="SealedPrefix"/> wrote it).</summary>
    private sealed class AfterOpeningBrace(Stream destination) : WriteOnlyStream
    {
        private bool _braceSkipped;

        public override void Write(ReadOnlySpan<byte> buffer) => destination.Write(buffer[Skipped(buffer.Length)..]);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            destination.WriteAsync(buffer[Skipped(buffer.Length)..], cancellationToken);

        public override Task FlushAsync(CancellationToken cancellationToken) => destination.FlushAsync(cancellationToken);

        /// <summary>How many bytes of the next write to drop: the document's first byte, once.</summary>
        private int Skipped(int length)
        {
            if (_braceSkipped || length == 0) return 0;
            _braceSkipped = true;
            return 1;
        }
    }

    /// <summary>The members a write-only stream has no use for.</summary>
    private abstract class WriteOnlyStream : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }
    }
}
