using System.Text.Json;
using System.Text.Json.Serialization;
using PgBackup.Repository.Catalog;

namespace PgBackup.Cli.Json;

/// <summary>
/// A cluster's backups as /api/backups serves them: the rows of `list --json [--all]`, or, when the
/// repository cannot be read, <see cref="ApiErrorJson"/> in their place.
/// </summary>
[JsonConverter(typeof(BackupListJsonConverter))]
internal sealed record BackupListJson(IReadOnlyList<BackupSummary>? Rows, ApiErrorJson? Error)
{
    public static BackupListJson Of(IReadOnlyList<BackupEntry> listed, bool all) => new(BackupSummary.Rows(listed, all), null);

    public static BackupListJson Failed(string error) => new(null, new ApiErrorJson(error));
}

/// <summary>Writes a <see cref="BackupListJson"/> as the array or the error object it holds; never read.</summary>
internal sealed class BackupListJsonConverter : JsonConverter<BackupListJson>
{
    public override BackupListJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("the API's backup lists are only written");

    public override void Write(Utf8JsonWriter writer, BackupListJson value, JsonSerializerOptions options)
    {
        if (value.Rows is { } rows) JsonSerializer.Serialize(writer, rows, PgBackupJson.Default.IReadOnlyListBackupSummary);
        else JsonSerializer.Serialize(writer, value.Error!, PgBackupJson.Default.ApiErrorJson);
    }
}
