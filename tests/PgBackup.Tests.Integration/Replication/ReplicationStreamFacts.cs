using PgBackup.Postgres;
using PgBackup.Postgres.Replication;
using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Replication;

[Collection(SandboxCollection.Name)]
public sealed class ReplicationStreamFacts(SandboxFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly ReplicationSandbox _sandbox = new(fixture);

    [Fact]
    public async Task Streaming_from_a_replica_slot_yields_the_same_segment_bytes_as_the_leader_has()
    {
        var leader = await _sandbox.LeaderPortAsync();
        var slot = ReplicationSandbox.UniqueName("test_stream");
        await using var admin = await _sandbox.OpenReplicaAsync();
        var created = await admin.CreatePhysicalSlotAsync(slot, reserveWal: true, CancellationToken.None);
        try
        {
            var timeline = (await admin.IdentifySystemAsync(CancellationToken.None)).Timeline;
            var segmentSize = ServerSetting.ParseBytes(await admin.ShowAsync("wal_segment_size", CancellationToken.None));
            var table = ReplicationSandbox.UniqueName("stream_test");
            await _sandbox.ExecuteAsync(leader, $"CREATE TABLE {table} AS SELECT g, md5(g::text) FROM generate_series(1, 20000) g");
            var target = WalSegmentName.Containing(timeline, Lsn.Parse(await _sandbox.ScalarAsync<string>(leader, "SELECT pg_current_wal_insert_lsn()::text")), segmentSize);
            await _sandbox.ExecuteAsync(leader, $"SELECT pg_switch_wal(); DROP TABLE {table}");

            // From the compared segment itself, which is on the current timeline (the slot's restart point may
            // lie on the timeline before the last failover). The slot, created before the writes, reserves WAL
            // from a point no later than inside this segment, so the whole segment file is kept.
            Assert.True(WalSegmentName.Containing(timeline, created.RestartLsn!.Value, segmentSize).SegmentNumber <= target.SegmentNumber);
            var start = target.StartLsn;
            var streamed = new byte[segmentSize];
            var filled = 0L;
            using var timeout = new CancellationTokenSource(Patience);
            await using (var connection = await _sandbox.OpenReplicaAsync())
            {
                var stream = await connection.StartReplicationAsync(slot, start, timeline, timeout.Token);
                await using (stream)
                {
                    while (filled < segmentSize)
                    {
                        var message = Assert.IsType<XLogDataMessage>(await stream.ReadAsync(timeout.Token));
                        filled += CopyOverlap(message, target, streamed);
                        await stream.SendStandbyStatusAsync(message.DataEnd, message.DataEnd, message.DataEnd, replyRequested: false, timeout.Token);
                    }
                    await stream.CompleteAsync(timeout.Token);
                }
                Assert.True((await connection.IdentifySystemAsync(CancellationToken.None)).XLogPos >= target.EndLsn);
            }

            output.WriteLine($"streamed {target} from {start} on slot {slot}");
            var onLeader = await _sandbox.ScalarAsync<byte[]>(leader, $"SELECT pg_read_binary_file('pg_wal/{target}')");
            Assert.True(onLeader.AsSpan().SequenceEqual(streamed), $"segment {target} differs from the leader's copy");
            Assert.True((await admin.ReadReplicationSlotAsync(slot, CancellationToken.None))!.RestartLsn >= target.StartLsn, "the slot advanced with our flush reports");
        }
        finally
        {
            await admin.DropReplicationSlotAsync(slot, wait: true, CancellationToken.None);
        }
    }

    [Fact]
    public async Task Streaming_a_parent_timeline_ends_at_its_switch_point_and_the_connection_stays_usable()
    {
        await _sandbox.EnsureTimelineAboveOneAsync();
        await using var connection = await _sandbox.OpenReplicaAsync();
        var timeline = (await connection.IdentifySystemAsync(CancellationToken.None)).Timeline;
        Assert.True(timeline > 1, $"the replica is on timeline {timeline} after a switchover");
        var history = TimelineHistory.Parse(timeline, System.Text.Encoding.UTF8.GetString((await connection.TimelineHistoryAsync(timeline, CancellationToken.None)).Content));
        var parent = history.Entries[^1];

        using var timeout = new CancellationTokenSource(Patience);
        await using var stream = await connection.StartReplicationAsync(null, parent.SwitchPoint, parent.Timeline, timeout.Token);
        ReplicationMessage message;
        while ((message = await stream.ReadAsync(timeout.Token)) is XLogDataMessage)
        {
        }

        var ended = Assert.IsType<TimelineEndedMessage>(message);
        Assert.Equal((timeline, parent.SwitchPoint), (ended.NextTimeline, ended.SwitchLsn));
        Assert.Equal(timeline, (await connection.IdentifySystemAsync(CancellationToken.None)).Timeline);
    }

    /// <summary>Copies the part of <paramref name="message"/> that falls into <paramref name="segment"/>; returns how many bytes.</summary>
    private static long CopyOverlap(XLogDataMessage message, WalSegmentName segment, byte[] destination)
    {
        var from = Lsn.Max(message.WalStart, segment.StartLsn);
        var to = message.DataEnd < segment.EndLsn ? message.DataEnd : segment.EndLsn;
        if (to <= from)
            return 0;
        var length = (int)(to - from);
        message.Data.Span.Slice((int)(from - message.WalStart), length).CopyTo(destination.AsSpan((int)(from - segment.StartLsn)));
        return length;
    }
}
