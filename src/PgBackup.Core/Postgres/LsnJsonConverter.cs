using System.Text.Json;
using System.Text.Json.Serialization;

namespace PgBackup.Postgres;

/// <summary>An LSN in JSON is the string PostgreSQL prints ("0/3000028"), so documents read like pg_stat output.</summary>
public sealed class LsnJsonConverter : JsonConverter<Lsn>
{
    public override Lsn Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && Lsn.TryParse(reader.GetString(), out var lsn)
            ? lsn
            : throw new JsonException($"{(reader.TokenType == JsonTokenType.String ? $"'{reader.GetString()}'" : reader.TokenType.ToString())} is not an LSN (expected hex X/Y, e.g. \"0/3000028\")");

    public override void Write(Utf8JsonWriter writer, Lsn value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
