using System.Text.Json.Serialization;
using PgBackup.Verify;

namespace PgBackup.Cli.Json;

/// <summary>
/// Every JSON document `pgbackup` prints (--json) or serves (/api), source-generated: the records in
/// this folder are the contract scripts rely on, pinned by JsonContractFacts. camelCase; nulls are
/// written. `--json` indents (<see cref="Hosting.Output"/>), /api does not. The drill report is the
/// repository's own document (Drill/DrillReport.cs) and is printed as stored.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ClusterJson))]
[JsonSerializable(typeof(CheckJson))]
[JsonSerializable(typeof(BackupSummary))]
[JsonSerializable(typeof(IReadOnlyList<BackupSummary>))]
[JsonSerializable(typeof(BackupInfoJson))]
[JsonSerializable(typeof(VerifyOutcome))]
[JsonSerializable(typeof(IReadOnlyList<ClusterAnswerJson>))]
[JsonSerializable(typeof(BackupListJson))]
[JsonSerializable(typeof(SortedDictionary<string, BackupListJson>))]
[JsonSerializable(typeof(ApiErrorJson))]
[JsonSerializable(typeof(StatusJson))]
internal sealed partial class PgBackupJson : JsonSerializerContext;
