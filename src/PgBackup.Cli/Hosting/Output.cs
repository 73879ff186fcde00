using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace PgBackup.Cli.Hosting;

/// <summary>Machine-readable output: one JSON document on stdout, camelCase, indented (the documents are in Json/).</summary>
internal static class Output
{
    public static void WriteJson<T>(T value, JsonTypeInfo<T> type) => Console.Out.WriteLine(Json(value, type));

    /// <summary>The document as `--json` prints it; the /api serves the same without indentation.</summary>
    public static string Json<T>(T value, JsonTypeInfo<T> type)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            JsonSerializer.Serialize(writer, value, type);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
