using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using PgBackup.Cli.Serve.Policies;
using PgBackup.Cli.Serve.Status;
using PgBackup.Drill;

namespace PgBackup.Cli.Serve.Metrics;

/// <summary>/metrics: backup freshness, sizes, recoverable window, archiver lag, the last restore drill and job failures per cluster.</summary>
internal static class MetricsEndpoint
{
    public static void Map(WebApplication app) => app.MapGet("/metrics", async (StatusCollector collector, DrillStatusReader drills, PolicyDirectory policies, JobFailureCounter failures, CancellationToken ct) =>
    {
        var clusters = await collector.CollectAsync(ct);
        var lastDrills = await collector.LatestDrillsAsync(drills, ct);
        return Results.Text(Render(clusters, policies.Current.Errors.Count, failures.Snapshot(), DateTimeOffset.UtcNow, lastDrills), PrometheusText.ContentType);
    });

    public static string Render(IReadOnlyList<ClusterStatus> clusters, int policyErrors, IReadOnlyList<(string Cluster, string Job, long Count)> failures, DateTimeOffset now,
        IReadOnlyList<DrillReport>? lastDrills = null)
    {
        var drills = lastDrills ?? [];
        static (string, string) C(ClusterStatus s) => ("cluster", s.Cluster);
        var withBackup = clusters.Where(c => c.LastBackup is not null).ToList();
        var archiving = clusters.Where(c => c.Archiver is not null).ToList();
        return new PrometheusText()
            .Family("pgbackup_policy_errors", "gauge", "Policy files in the policy directory that failed to load.", [Sample.Of(policyErrors)])
            .Family("pgbackup_repository_up", "gauge", "1 if the cluster's repository could be listed.",
                clusters.Select(c => Sample.Of(c.RepositoryError is null ? 1 : 0, C(c))))
            .Family("pgbackup_backups", "gauge", "Complete backups in the repository.",
                clusters.Where(c => c.RepositoryError is null).Select(c => Sample.Of(c.CompleteBackups, C(c))))
            .Family("pgbackup_backup_running", "gauge", "1 while a backup of the cluster is being written.",
                clusters.Where(c => c.RepositoryError is null).Select(c => Sample.Of(c.BackupRunning ? 1 : 0, C(c))))
            .Family("pgbackup_last_backup_success_timestamp_seconds", "gauge", "End time of the newest complete backup (Unix seconds).",
                withBackup.Select(c => Sample.Of(c.LastBackup!.EndTime.ToUnixTimeMilliseconds() / 1000.0, C(c))))
            .Family("pgbackup_last_backup_age_seconds", "gauge", "Seconds since the newest complete backup ended.",
                withBackup.Select(c => Sample.Of(Math.Round((now - c.LastBackup!.EndTime).TotalSeconds, 1), C(c))))
            .Family("pgbackup_backup_duration_seconds", "gauge", "Duration of the newest complete backup.",
                withBackup.Select(c => Sample.Of(Math.Round((c.LastBackup!.EndTime - c.LastBackup.StartTime).TotalSeconds, 1), C(c))))
            .Family("pgbackup_backup_size_bytes", "gauge", "Size of the newest complete backup: database (plain PGDATA) or stored (in the repository).",
                withBackup.SelectMany(c => new[]
                {
                    Sample.Of(c.LastBackup!.DatabaseSize, C(c), ("kind", "database")),
                    Sample.Of(c.LastBackup.StoredSize, C(c), ("kind", "stored")),
                }))
            .Family("pgbackup_recoverable_window_start_timestamp_seconds", "gauge", "Earliest point a restore can reach (Unix seconds).",
                clusters.Where(c => c.WindowStart is not null).Select(c => Sample.Of(c.WindowStart!.Value.ToUnixTimeMilliseconds() / 1000.0, C(c))))
            .Family("pgbackup_recoverable_window_end_timestamp_seconds", "gauge", "Latest point a restore can reach (Unix seconds).",
                clusters.Where(c => c.WindowEnd is not null).Select(c => Sample.Of(c.WindowEnd!.Value.ToUnixTimeMilliseconds() / 1000.0, C(c))))
            .Family("pgbackup_archiver_up", "gauge", "1 while the cluster's WAL archiver runs (0 when it failed or stopped on a configuration error).",
                archiving.Select(c => Sample.Of(c.Archiver!.IsUp ? 1 : 0, C(c))))
            .Family("pgbackup_archiver_lag_bytes", "gauge", "WAL bytes the source has that the repository does not yet.",
                archiving.Where(c => c.Archiver!.LagBytes is not null).Select(c => Sample.Of(c.Archiver!.LagBytes!.Value, C(c))))
            .Family("pgbackup_archiver_lag_seconds", "gauge", "Age of the newest WAL in the repository relative to the source.",
                archiving.Where(c => c.Archiver!.LagSeconds is not null).Select(c => Sample.Of(c.Archiver!.LagSeconds!.Value, C(c))))
            .Family("pgbackup_archiver_source_info", "gauge", "The member the WAL archiver streams from (value always 1).",
                archiving.Where(c => c.Archiver!.Source is not null).Select(c => Sample.Of(1, C(c), ("member", c.Archiver!.Source!))))
            .Family("pgbackup_archiver_instance_info", "gauge", "The `serve` instance holding the cluster's archiver lease, this one or another (value always 1).",
                archiving.Where(c => c.Archiver!.Instance is not null).Select(c => Sample.Of(1, C(c), ("instance", c.Archiver!.Instance!))))
            .Family("pgbackup_last_drill_timestamp_seconds", "gauge", "End time of the newest restore drill (Unix seconds).",
                drills.Select(d => Sample.Of(d.FinishedAt.ToUnixTimeMilliseconds() / 1000.0, ("cluster", d.Cluster))))
            .Family("pgbackup_last_drill_success", "gauge", "1 if the newest restore drill passed every check.",
                drills.Select(d => Sample.Of(d.Success ? 1 : 0, ("cluster", d.Cluster))))
            .Family("pgbackup_last_drill_recovery_seconds", "gauge", "Recovery time the newest restore drill measured: restore start to a database answering queries.",
                drills.Where(d => d.UsableSeconds is not null).Select(d => Sample.Of(Math.Round(d.UsableSeconds!.Value, 1), ("cluster", d.Cluster))))
            .Family("pgbackup_job_failures_total", "counter", "Failed job attempts since serve started.",
                // Zero for every scheduled job of every cluster, so rate() and alerts see the series from the start.
                clusters.SelectMany(c => Jobs.ScheduledJob.All.Select(j => (c.Cluster, Job: j.Kind, Count: 0L)))
                    .Concat(failures).GroupBy(f => (f.Cluster, f.Job)).OrderBy(g => g.Key.Cluster, StringComparer.Ordinal).ThenBy(g => g.Key.Job, StringComparer.Ordinal)
                    .Select(g => Sample.Of(g.Sum(f => f.Count), ("cluster", g.Key.Cluster), ("job", g.Key.Job))))
            .ToString();
    }
}
