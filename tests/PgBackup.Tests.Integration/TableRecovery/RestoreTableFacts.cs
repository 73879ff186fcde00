using PgBackup.Restore;
using PgBackup.Tests.Integration.Retention;
using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.TableRecovery;

/// <summary>
/// `pgbackup restore-table` undoes a bad statement: a DELETE without its WHERE on one table and a
/// DROP of another, both after a noted time, come back from that time under new names in the live
/// cluster, while the damaged table stays as it is; destinations that exist and tables that did
/// not exist at the target are refused with one line.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class RestoreTableFacts(SandboxFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task A_half_deleted_and_a_dropped_table_come_back_as_they_were_under_new_names_and_the_damaged_table_is_untouched()
    {
        fixture.WaitHealthy();
        await using var repo = new ArchivedSandbox(fixture);
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (orders, notes) = ($"rt_orders_{suffix}", $"rt_notes_{suffix}");
        await repo.LeaderAsync($"CREATE TABLE {orders} (id serial PRIMARY KEY, amount numeric NOT NULL, note text)");
        await repo.LeaderAsync($"INSERT INTO {orders} (amount, note) SELECT g * 1.5, md5(g::text) FROM generate_series(1, 2000) g");
        await repo.LeaderAsync($"CREATE TABLE {notes} (id int PRIMARY KEY, order_id int REFERENCES {orders}, body text)");
        await repo.LeaderAsync($"INSERT INTO {notes} SELECT g, g, repeat('n', g % 50) FROM generate_series(1, 300) g");
        // A view on the table and a view on that view: what --with-dependents brings along.
        await repo.LeaderAsync($"CREATE VIEW {orders}_big AS SELECT id, amount FROM {orders} WHERE amount > 1000");
        await repo.LeaderAsync($"CREATE VIEW {orders}_big_count AS SELECT count(*) AS n FROM {orders}_big");
        await repo.BackupAsync();
        // After the backup: only the WAL holds these, so the restore must replay to the target, not stop at the backup.
        await repo.LeaderAsync($"INSERT INTO {orders} (amount, note) VALUES (1, 'after the backup')");
        await repo.LeaderAsync($"UPDATE {notes} SET body = 'edited' WHERE id = 7");
        var ordersBefore = await repo.LeaderAsync(Checksum(orders));
        var notesBefore = await repo.LeaderAsync(Checksum(notes));
        await Task.Delay(1500);
        var target = await repo.LeaderAsync("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
        await Task.Delay(1500);
        // The mistakes.
        await repo.LeaderAsync($"DELETE FROM {notes} WHERE id % 2 = 0");
        await repo.LeaderAsync($"DELETE FROM {orders} WHERE id % 2 = 0 AND id NOT IN (SELECT order_id FROM {notes})");
        var ordersDamaged = await repo.LeaderAsync(Checksum(orders));
        await repo.LeaderAsync($"DROP TABLE {notes}");
        await repo.SwitchWalAndWaitArchivedAsync();

        var restore = await RestoreTableAsync(repo, "--time", target!, "--table", orders, "--table", $"public.{notes}", "--as", "recovered_*", "--with-dependents", "--into", $"user={fixture.Endpoints.Superuser}");
        output.WriteLine(restore.ToString());
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Contains($"public.{orders} -> public.recovered_{orders}: 2001 rows", restore.Stdout);
        Assert.Contains($"public.{notes} -> public.recovered_{notes}: 300 rows", restore.Stdout);
        Assert.Contains($"foreign key not restored (its referenced rows have moved on since): {notes}_order_id_fkey: FOREIGN KEY (order_id) REFERENCES {orders}(id)", restore.Stdout);

        Assert.Contains($"view public.{orders}_big -> public.recovered_{orders}_big", restore.Stdout);
        Assert.Contains($"view public.{orders}_big_count -> public.recovered_{orders}_big_count", restore.Stdout);
        Assert.Equal(await repo.LeaderAsync($"SELECT count(*) FROM recovered_{orders} WHERE amount > 1000"), await repo.LeaderAsync($"SELECT n FROM recovered_{orders}_big_count"));

        // The copies hold exactly the rows of the target; the damaged table is as the mistake left it; the dropped one stays dropped.
        Assert.Equal(ordersBefore, await repo.LeaderAsync(Checksum($"recovered_{orders}")));
        Assert.Equal(notesBefore, await repo.LeaderAsync(Checksum($"recovered_{notes}")));
        Assert.Equal(ordersDamaged, await repo.LeaderAsync(Checksum(orders)));
        Assert.Equal("True", await repo.LeaderAsync($"SELECT to_regclass('{notes}') IS NULL"));
        // Its sequence and primary key came along, renamed: a new row gets an id after the restored ones (recovery
        // leaves a sequence up to 32 values ahead, as PostgreSQL logs them in advance).
        Assert.InRange(int.Parse((await repo.LeaderAsync($"INSERT INTO recovered_{orders} (amount) VALUES (3) RETURNING id"))!), 2002, 2034);
        Assert.Equal($"recovered_{orders}_pkey", await repo.LeaderAsync($"SELECT conname FROM pg_constraint WHERE conrelid = 'recovered_{orders}'::regclass AND contype = 'p'"));

        // Again into the same names: refused before anything is restored, naming what is in the way.
        var again = await RestoreTableAsync(repo, "--time", target!, "--table", orders, "--as", "recovered_*", "--into", $"user={fixture.Endpoints.Superuser}");
        Assert.Equal(2, again.ExitCode);
        Assert.StartsWith($"error: cannot restore into public.recovered_{orders} (exists)", Assert.Single(again.ErrorLines));
        Assert.Contains("or --replace to drop and replace it; nothing was restored", again.Stderr);
        Assert.DoesNotContain("Restoring backup", again.Stderr);

        // A table the target did not have: refused once the copy shows it, with the tables it had; the file is not written.
        var file = Path.Combine(Path.GetTempPath(), $"pgbackup-rt-{suffix}.sql");
        var missing = await RestoreTableAsync(repo, "--time", target!, "--table", $"rt_never_{suffix}", "--to-file", file);
        Assert.Equal(2, missing.ExitCode);
        var error = Assert.Single(missing.ErrorLines);
        Assert.StartsWith($"error: public.rt_never_{suffix} did not exist in database postgres at the target; tables there: ", error);
        Assert.Contains($"public.{notes}", error);
        Assert.False(File.Exists(file));
        Assert.Empty(Directory.GetDirectories(Path.GetTempPath(), "pgbackup-table-*"));

        // --replace: the damaged table itself, dropped and loaded as it was, in one transaction. Its views depend on
        // it, so without them the drop fails and nothing changes; with them, all are replaced together.
        var blocked = await RestoreTableAsync(repo, "--time", target!, "--table", orders, "--replace", "--into", $"user={fixture.Endpoints.Superuser}");
        Assert.Equal(5, blocked.ExitCode);
        Assert.StartsWith("error: loading the tables into", Assert.Single(blocked.ErrorLines));
        Assert.Contains("nothing was loaded (one transaction)", blocked.Stderr);
        Assert.Equal(ordersDamaged, await repo.LeaderAsync(Checksum(orders)));
        var replaced = await RestoreTableAsync(repo, "--time", target!, "--table", orders, "--replace", "--with-dependents", "--into", $"user={fixture.Endpoints.Superuser}");
        Assert.True(replaced.ExitCode == 0, replaced.ToString());
        Assert.Equal(ordersBefore, await repo.LeaderAsync(Checksum(orders)));
        Assert.Equal(await repo.LeaderAsync($"SELECT count(*) FROM {orders} WHERE amount > 1000"), await repo.LeaderAsync($"SELECT n FROM {orders}_big_count"));

        await repo.LeaderAsync($"DROP TABLE recovered_{notes}, recovered_{orders}, {orders} CASCADE");
    }

    [Fact]
    public async Task After_a_kill_9_with_its_scratch_server_running_the_next_run_stops_that_server_and_removes_its_directory()
    {
        fixture.WaitHealthy();
        await using var repo = new ArchivedSandbox(fixture);
        var table = $"rt_kill_{Guid.NewGuid():N}"[..20];
        await repo.LeaderAsync($"CREATE TABLE {table} AS SELECT g AS id FROM generate_series(1, 1000) g");
        await repo.BackupAsync();
        var target = await repo.LeaderAsync("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
        await repo.SwitchWalAndWaitArchivedAsync();
        var before = Directory.GetDirectories(Path.GetTempPath(), "pgbackup-table-*").ToHashSet();
        string[] args = ["restore-table", "--policy", repo.Policy.Path, "--time", target!, "--table", table, "--to-file", Path.Combine(Path.GetTempPath(), table + ".sql")];

        // Killed while its scratch server runs: the directory and the server outlive it.
        int? postmaster = null;
        string? scratch = null;
        using (var run = PgBackupCli.Start(args))
        {
            var deadline = DateTime.UtcNow + Patience;
            while (postmaster is null)
            {
                Assert.True(DateTime.UtcNow < deadline && !run.HasExited, "the scratch server never ran");
                scratch = Directory.GetDirectories(Path.GetTempPath(), "pgbackup-table-*").FirstOrDefault(d => !before.Contains(d));
                postmaster = scratch is null ? null : RunningPostmaster(Path.Combine(scratch, "pgdata"));
                await Task.Delay(20);
            }
            run.Kill9();
        }
        Assert.True(ScratchCopy.Running(postmaster.Value), "the scratch server did not outlive the kill");

        // The next run (a dry run will do) finds it by its owner lock, which nobody holds now.
        var next = await PgBackupCli.RunAsync([.. args, "--dry-run"], Patience);
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Contains($"Removing {scratch}, left by a run that was killed", next.Stderr);
        Assert.False(Directory.Exists(scratch), $"{scratch} is still there");
        // pg_ctl stop returns once the pid file is gone, a moment before the postmaster's exit.
        await Waiting.UntilAsync(() => !ScratchCopy.Running(postmaster.Value), TimeSpan.FromSeconds(10), $"the abandoned server (pid {postmaster}) to exit");
        await repo.LeaderAsync($"DROP TABLE {table}");
    }

    /// <summary>The pid in postmaster.pid when that process lives.</summary>
    private static int? RunningPostmaster(string pgData)
    {
        try
        {
            return File.ReadLines(Path.Combine(pgData, "postmaster.pid")).FirstOrDefault() is { } line && int.TryParse(line, out var pid) && ScratchCopy.Running(pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private Task<CliResult> RestoreTableAsync(ArchivedSandbox repo, params string[] args) =>
        PgBackupCli.RunAsync(["restore-table", "--policy", repo.Policy.Path, .. args], Patience,
            new Dictionary<string, string> { ["PGPASSWORD"] = fixture.Endpoints.SuperuserPassword });

    private static string Checksum(string table) =>
        $"SELECT count(*) || ':' || md5(string_agg(t::text, ',' ORDER BY t::text)) FROM {table} t";
}
