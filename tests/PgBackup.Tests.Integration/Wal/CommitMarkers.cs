using System.Diagnostics;
using System.Globalization;
using Npgsql;
using PgBackup.Postgres;
using PgBackup.Tests.Integration.Replication;
using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Wal;

/// <summary>One acknowledged commit: its WAL position right after the commit, on which timeline, and when the client heard of it.</summary>
public sealed record CommitMarker(int Id, uint Timeline, Lsn Lsn, TimeSpan AcknowledgedAt);

/// <summary>
/// Commits a numbered marker row every <see cref="Interval"/> on whichever member leads (a
/// multi-host connection that follows the primary across failovers), and notes each one the
/// server acknowledged. A commit whose answer was lost is not a marker: nobody was told it happened.
/// </summary>
public sealed class CommitMarkers : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    private readonly string _connectionString;
    private readonly Stopwatch _clock;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<CommitMarker> _markers = [];
    private Task? _run;

    public CommitMarkers(SandboxFixture fixture, Stopwatch clock)
    {
        Table = ReplicationSandbox.UniqueName("markers");
        _clock = clock;
        var settings = fixture.Endpoints.SuperuserConnection(fixture.Endpoints.PgPorts);
        (settings.TargetSessionAttributes, settings.HostRecheckSeconds) = ("primary", 1);
        (settings.Pooling, settings.Timeout, settings.CommandTimeout) = (false, 2, 2);
        _connectionString = settings.ConnectionString;
    }

    public string Table { get; }

    public int Failures { get; private set; }

    public IReadOnlyList<CommitMarker> Acknowledged
    {
        get { lock (_markers) return [.. _markers]; }
    }

    public async Task StartAsync()
    {
        await using (var connection = await OpenAsync())
            await ExecuteAsync(connection, $"CREATE TABLE {Table} (id int PRIMARY KEY)");
        _run = Task.Run(() => WriteAsync(_stop.Token));
    }

    /// <summary>The marker ids the cluster's leader holds, once there is one that takes connections.</summary>
    public async Task<IReadOnlySet<int>> SurvivorsAsync()
    {
        // A promotion can take longer than the test's settle time: on PostgreSQL 17 with summarize_wal,
        // the new leader waits for its WAL summarizer before it accepts writes (over 10 s seen here).
        NpgsqlConnection? opened = null;
        await Waiting.UntilAsync(async () =>
        {
            try { opened = await OpenAsync(); return true; }
            catch (NpgsqlException) { return false; }
        }, TimeSpan.FromSeconds(60), "a leader that takes connections, to count the surviving markers");
        await using var connection = opened!;
        await using var command = new NpgsqlCommand($"SELECT id FROM {Table}", connection);
        var ids = new HashSet<int>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            ids.Add(reader.GetInt32(0));
        return ids;
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null)
            await _run;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task WriteAsync(CancellationToken stop)
    {
        var next = 0;
        NpgsqlConnection? connection = null;
        while (!stop.IsCancellationRequested)
        {
            var due = _clock.Elapsed + Interval;
            try
            {
                connection ??= await OpenAsync();
                var id = ++next;
                await ExecuteAsync(connection, $"INSERT INTO {Table} VALUES ({id})");
                var acknowledged = _clock.Elapsed;
                // After the commit returned: its commit record ends at or before this position.
                await using var position = new NpgsqlCommand("SELECT pg_current_wal_lsn()::text, pg_walfile_name(pg_current_wal_lsn())", connection);
                // No token: cancelling a command in flight makes Npgsql send its cancel request synchronously,
                // on a thread-pool thread that the archiver under test shares; the loop checks stop anyway.
                await using var reader = await position.ExecuteReaderAsync();
                await reader.ReadAsync();
                var marker = new CommitMarker(id, uint.Parse(reader.GetString(1)[..8], NumberStyles.HexNumber, CultureInfo.InvariantCulture), Lsn.Parse(reader.GetString(0)), acknowledged);
                lock (_markers) _markers.Add(marker);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException or TimeoutException)
            {
                Failures++;
                if (connection is not null) await connection.DisposeAsync();
                connection = null;
            }
            catch (OperationCanceledException)
            {
                break;
            }
            var wait = due - _clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                try { await Task.Delay(wait, stop); }
                catch (OperationCanceledException) { break; }
            }
        }
        if (connection is not null) await connection.DisposeAsync();
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
