using System.Text;
using PgBackup.Repository.Codecs;

namespace PgBackup.Tests.Unit.Repository.Encryption;

/// <summary>Keys and content the encryption facts share.</summary>
internal static class EncryptionSamples
{
    /// <summary>Text a test looks for in stored bytes: it must never be found there.</summary>
    public const string Marker = "CONFIDENTIAL-MARKER-7f3a";

    public static readonly EncryptionKey Key = EncryptionKey.TryParse(new string('a', 64), "test")!;

    public static readonly EncryptionKey OtherKey = EncryptionKey.TryParse(new string('b', 64), "test")!;

    /// <summary>Compressible text with the marker on every line, like table rows holding a secret.</summary>
    public static byte[] Rows(int length, int seed = 1)
    {
        var random = new Random(seed);
        var text = new StringBuilder();
        while (text.Length < length)
            text.Append("row ").Append(random.Next(1_000_000)).Append(' ').Append(Marker).Append(" filler\n");
        return Encoding.ASCII.GetBytes(text.ToString(0, length));
    }

    /// <summary>Incompressible bytes, so a whole object's stored size tracks its plain size and block boundaries land where expected.</summary>
    public static byte[] Noise(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static bool Contains(ReadOnlySpan<byte> haystack, string text) => haystack.IndexOf(Encoding.ASCII.GetBytes(text)) >= 0;
}
