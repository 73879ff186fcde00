using System.Text.Json;

namespace PgBackup.Cli.Hosting;

/// <summary>Machine-readable output: one JSON document on stdout, camelCase, indented.</summary>
internal static class Output
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    public static void WriteJson(object value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Options));
}
