using System.Text;
using PgBackup.Repository.Codecs;

namespace PgBackup.Tests;

/// <summary>
/// A document of a local, unencrypted repository (manifest.json, repo.json) read and rewritten as
/// text whether pgbackup stored it plain or zstd-encoded (<see cref="DocumentKind.Compressed"/>):
/// what a test needs to damage one member of it the way a person editing it by hand would, so that
/// the document's own checksum, not the encoding, is what has to notice.
/// </summary>
internal static class StoredDocumentFile
{
    /// <summary>The document's JSON text, and whether it was stored encoded.</summary>
    public static (string Text, bool Encoded) Read(string path)
    {
        var stored = File.ReadAllBytes(path);
        if (!stored.AsSpan().StartsWith(RepositoryCodec.FrameMagic))
            return (Encoding.UTF8.GetString(stored), false);
        using var plain = new MemoryStream();
        using (var decoded = new RepositoryCodec().Decode(new MemoryStream(stored)))
            decoded.CopyTo(plain);
        return (Encoding.UTF8.GetString(plain.ToArray()), true);
    }

    /// <summary>The document's JSON text.</summary>
    public static string ReadText(string path) => Read(path).Text;

    /// <summary>Replaces the document with <paramref name="text"/>, stored the way it was (a valid zstd object with a matching trailer when <paramref name="encoded"/>).</summary>
    public static void Write(string path, string text, bool encoded)
    {
        if (!encoded)
        {
            File.WriteAllText(path, text);
            return;
        }
        using var file = File.Create(path);
        using var encoder = new RepositoryCodec().Encode(file);
        encoder.Write(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Applies <paramref name="edit"/> to the document's text, keeping how it is stored.</summary>
    public static void Edit(string path, Func<string, string> edit)
    {
        var (text, encoded) = Read(path);
        Write(path, edit(text), encoded);
    }
}
