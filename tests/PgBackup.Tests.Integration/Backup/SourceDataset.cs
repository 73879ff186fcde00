using PgBackup.Tests.Integration.Sandbox;
using System.Diagnostics;

namespace PgBackup.Tests.Integration.Backup;

/// <summary>
/// The data the backup tests back up: pgbench at scale 5, a table of known content, and ~40 MB of
/// incompressible bytes so a backup spans two packs (pgbench alone compresses into one). Loaded on
/// the leader, checkpointed (so a replica's backup starts at a recent restartpoint instead of
/// carrying all WAL since initdb), and replayed by every replica before any test starts.
/// </summary>
public sealed record SourceDataset(string KnownChecksum, IReadOnlyDictionary<string, long> PgbenchCounts)
{
    public const string ChecksumSql = "SELECT md5(string_agg(k::text, ',' ORDER BY id)) FROM known k";

    public static readonly string[] PgbenchTables = ["pgbench_accounts", "pgbench_branches", "pgbench_tellers", "pgbench_history"];

    public static async Task<SourceDataset> LoadAsync(BackupTestbed bed)
    {
        var leader = await bed.LeaderPortAsync();
        await bed.ExecuteAsync(leader, "postgres", $"DROP DATABASE IF EXISTS {BackupTestbed.Database} WITH (FORCE)");
        await bed.ExecuteAsync(leader, "postgres", $"CREATE DATABASE {BackupTestbed.Database}");
        await PgbenchInitAsync(bed, leader);
        await bed.ExecuteAsync(leader, BackupTestbed.Database, """
            CREATE TABLE known (id int PRIMARY KEY, label text NOT NULL, amount numeric(12,2), at timestamptz);
            INSERT INTO known SELECT i, 'row ' || i || repeat(' x', i % 17), i * 1.25, '2026-01-01 00:00:00+00'::timestamptz + i * interval '1 minute'
              FROM generate_series(1, 20000) i;
            CREATE TABLE noise (id int PRIMARY KEY, payload bytea);
            ALTER TABLE noise ALTER COLUMN payload SET STORAGE EXTERNAL;
            INSERT INTO noise SELECT i, (SELECT string_agg(uuid_send(gen_random_uuid()), ''::bytea) FROM generate_series(1, 2500) WHERE i > 0)
              FROM generate_series(1, 1000) i;
            """);
        await bed.ExecuteAsync(leader, "postgres", "CHECKPOINT");
        await bed.WaitForReplicasAsync(TimeSpan.FromSeconds(60));
        var counts = new Dictionary<string, long>();
        foreach (var table in PgbenchTables)
            counts[table] = await bed.ScalarAsync<long>(leader, BackupTestbed.Database, $"SELECT count(*) FROM {table}");
        return new SourceDataset(await bed.ScalarAsync<string>(leader, BackupTestbed.Database, ChecksumSql), counts);
    }

    private static async Task PgbenchInitAsync(BackupTestbed bed, int leader)
    {
        var psi = new ProcessStartInfo("pgbench") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-i", "-q", "-s", "5", "-h", "127.0.0.1", "-p", leader.ToString(), "-U", bed.Endpoints.Superuser, BackupTestbed.Database })
            psi.ArgumentList.Add(a);
        psi.Environment["PGPASSWORD"] = bed.Endpoints.SuperuserPassword;
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"pgbench -i failed ({p.ExitCode}): {await stderr}");
    }
}
