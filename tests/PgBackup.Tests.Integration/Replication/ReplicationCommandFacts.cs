using PgBackup.Errors;
using PgBackup.Postgres;
using PgBackup.Postgres.Replication;
using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Replication;

[Collection(SandboxCollection.Name)]
public sealed class ReplicationCommandFacts(SandboxFixture fixture, ITestOutputHelper output)
{
    private readonly ReplicationSandbox _sandbox = new(fixture);

    [Fact]
    public async Task Timeline_history_arrives_byte_for_byte_and_parses()
    {
        await _sandbox.EnsureTimelineAboveOneAsync();
        await using var connection = await _sandbox.OpenReplicaAsync();
        var timeline = (await connection.IdentifySystemAsync(CancellationToken.None)).Timeline;
        Assert.True(timeline > 1, $"the replica is on timeline {timeline} after a switchover");
        var file = await connection.TimelineHistoryAsync(timeline, CancellationToken.None);

        Assert.Equal(WalFileName.HistoryFileName(timeline), file.FileName);
        var onDisk = await _sandbox.ScalarAsync<byte[]>(await _sandbox.LeaderPortAsync(), $"SELECT pg_read_binary_file('pg_wal/{file.FileName}')");
        Assert.Equal(onDisk, file.Content);
        var history = TimelineHistory.Parse(timeline, System.Text.Encoding.UTF8.GetString(file.Content));
        Assert.Equal(timeline - 1, history.Entries[^1].Timeline);
    }

    [Fact]
    public async Task A_physical_slot_on_a_replica_is_created_read_and_dropped()
    {
        var slot = ReplicationSandbox.UniqueName("test_slot");
        await using var connection = await _sandbox.OpenReplicaAsync();
        try
        {
            var created = await connection.CreatePhysicalSlotAsync(slot, reserveWal: true, CancellationToken.None);
            Assert.Equal("physical", created.SlotType);
            Assert.True(created.RestartLsn is { IsValid: true }, "a slot with RESERVE_WAL holds WAL from the last restartpoint");
            // The restart LSN is the last restartpoint's redo, which may precede the latest timeline switch.
            var timeline = (await connection.IdentifySystemAsync(CancellationToken.None)).Timeline;
            var history = timeline == 1 ? TimelineHistory.ForFirstTimeline
                : TimelineHistory.Parse(timeline, System.Text.Encoding.UTF8.GetString((await connection.TimelineHistoryAsync(timeline, CancellationToken.None)).Content));
            Assert.Equal(history.TimelineAt(created.RestartLsn!.Value), created.RestartTimeline);

            var read = await connection.ReadReplicationSlotAsync(slot, CancellationToken.None);
            Assert.Equal(created, read);
        }
        finally
        {
            await connection.DropReplicationSlotAsync(slot, wait: false, CancellationToken.None);
        }
        Assert.Null(await connection.ReadReplicationSlotAsync(slot, CancellationToken.None));
    }

    [Fact]
    public async Task A_failed_command_reports_the_server_error_and_leaves_the_connection_usable()
    {
        await using var connection = await _sandbox.OpenReplicaAsync();
        var e = await Assert.ThrowsAsync<OperationFailedException>(() => connection.DropReplicationSlotAsync("no_such_slot_here", wait: false, CancellationToken.None));
        output.WriteLine(e.Message);
        Assert.Equal("42704", Assert.IsType<PostgresServerError>(e.InnerException).SqlState);
        Assert.True((await connection.IdentifySystemAsync(CancellationToken.None)).XLogPos.IsValid);
    }

    [Fact]
    public async Task Losing_the_server_mid_command_is_a_one_line_operation_failure()
    {
        await using var connection = await _sandbox.OpenReplicaAsync();
        var replica = await _sandbox.ReplicaPortAsync();
        await _sandbox.ExecuteAsync(replica,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pgbackup-tests' AND backend_type = 'walsender'");
        var e = await Assert.ThrowsAsync<OperationFailedException>(() => connection.IdentifySystemAsync(CancellationToken.None));
        output.WriteLine(e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }
}
