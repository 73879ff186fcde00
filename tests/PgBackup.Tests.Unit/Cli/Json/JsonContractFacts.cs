using System.Text;
using System.Text.Json;
using PgBackup.Cli.Hosting;
using PgBackup.Cli.Json;
using PgBackup.Drill;
using PgBackup.Repository.Catalog;

namespace PgBackup.Tests.Unit.Cli.Json;

/// <summary>
/// Every --json and /api document, serialized from a filled-in sample and compared with the text in
/// Expected/: scripts parse these, so a renamed, moved or dropped property fails here first.
/// </summary>
public sealed class JsonContractFacts
{
    private static string Expected(string name) => TestData.Read("Cli", "Json", "Expected", name);

    private static readonly BackupManifest Incr = JsonSamples.Entries()[1].Manifest!;

    [Fact]
    public void Cluster_json_names_the_source_and_every_member_with_its_probe_and_verdict() =>
        Assert.Equal(Expected("cluster.json"), Output.Json(ClusterJson.Of(JsonSamples.Policy, JsonSamples.Decision()), PgBackupJson.Default.ClusterJson));

    [Fact]
    public void Check_json_lists_gaps_slots_and_problems() =>
        Assert.Equal(Expected("check.json"), Output.Json(CheckJson.Of(JsonSamples.Check()), PgBackupJson.Default.CheckJson));

    [Fact]
    public void List_json_has_a_row_per_backup_incomplete_ones_with_nulls() =>
        Assert.Equal(Expected("list.json"), Output.Json(BackupSummary.Rows(JsonSamples.Entries(), all: true), PgBackupJson.Default.IReadOnlyListBackupSummary));

    [Fact]
    public void Backup_json_is_the_summary_of_the_new_backup() =>
        Assert.Equal(Expected("backup.json"), Output.Json(BackupSummary.Of(Incr), PgBackupJson.Default.BackupSummary));

    [Fact]
    public void Info_json_wraps_the_summary_with_the_manifest_details()
    {
        var complete = BackupChain.ById(JsonSamples.Entries().Select(e => e.Manifest).OfType<BackupManifest>());
        Assert.Equal(Expected("info.json"), Output.Json(BackupInfoJson.Of(BackupSummary.Of(Incr, complete), Incr), PgBackupJson.Default.BackupInfoJson));
    }

    [Fact]
    public void Verify_json_reports_the_repository_and_each_backup_with_faults() =>
        Assert.Equal(Expected("verify.json"), Output.Json(JsonSamples.Verify(), PgBackupJson.Default.VerifyOutcome));

    [Fact]
    public void Drill_json_is_the_stored_report() =>
        Assert.Equal(Expected("drill.json"), Encoding.UTF8.GetString(DrillReports.Serialize(JsonSamples.Drill())));

    [Fact]
    public void Api_clusters_gives_each_cluster_its_decision_or_error_and_archiver() =>
        Assert.Equal(Expected("api-clusters.json"), JsonSerializer.Serialize<IReadOnlyList<ClusterAnswerJson>>(
        [
            new(JsonSamples.Policy.Cluster, JsonSamples.Policy.SourceFile, ClusterJson.Of(JsonSamples.Policy, JsonSamples.Decision()), null, JsonSamples.Archiver()),
            new("other", "/x/other.yaml", null, "cluster unreachable", null),
        ], PgBackupJson.Default.IReadOnlyListClusterAnswerJson));

    [Fact]
    public void Api_backups_maps_each_cluster_to_its_rows_or_its_error() =>
        Assert.Equal(Expected("api-backups.json"), JsonSerializer.Serialize(new SortedDictionary<string, BackupListJson>(StringComparer.Ordinal)
        {
            ["main"] = BackupListJson.Of(JsonSamples.Entries(), all: false),
            ["other"] = BackupListJson.Failed("access denied"),
        }, PgBackupJson.Default.SortedDictionaryStringBackupListJson));

    [Fact]
    public void Api_backups_of_one_cluster_is_the_list_json_rows() =>
        Assert.Equal(Expected("api-backups-of.json"), JsonSerializer.Serialize(BackupListJson.Of(JsonSamples.Entries(), all: true), PgBackupJson.Default.BackupListJson));

    [Fact]
    public void An_api_error_is_an_object_with_the_error() =>
        Assert.Equal(Expected("api-notfound.json"), JsonSerializer.Serialize(new ApiErrorJson("no valid policy for cluster 'x'"), PgBackupJson.Default.ApiErrorJson));

    [Fact]
    public void Api_status_gives_policy_errors_and_each_clusters_health() =>
        Assert.Equal(Expected("api-status.json"), JsonSerializer.Serialize(
            StatusJson.Of("/etc/pgbackup/policies", JsonSamples.PolicyErrors(), JsonSamples.Statuses()), PgBackupJson.Default.StatusJson));
}
