using PgBackup.Postgres;
using PgBackup.Postgres.Replication.Internal;

namespace PgBackup.Tests.Unit.Postgres.Replication;

/// <summary>Backend replies captured from PostgreSQL 15.18 (a standby on timeline 2), parsed by our framing and result code.</summary>
public class CapturedMessagesFacts
{
    private const string IdentifySystemReply =
        "540000006f000473797374656d69640000000000000000000019ffffffffffff000074696d656c696e6500000000000000000000170004ffffffff0000786c6f67706f730000000000000000000019ffffffffffff000064626e616d650000000000000000000019ffffffffffff0000440000003300040000001337373132383937363335333033343839343237000000013200000009302f35303030313438ffffffff43000000144944454e544946595f53595354454d005a0000000549";

    private const string TimelineHistoryReply =
        "540000003b000266696c656e616d650000000000000000000019ffff000000000000636f6e74656e740000000000000000000019ffff000000000000440000004700020000001030303030303030322e686973746f7279000000293109302f33303030303030096e6f207265636f7665727920746172676574207370656369666965640a430000001554494d454c494e455f484953544f5259005a0000000549";

    /// <summary>From 13.23 (scripts/sandbox/capture-replication-reply.py on a promoted standalone standby): content declared bytea (OID 17).</summary>
    private const string TimelineHistoryReply13 =
        "540000003b000266696c656e616d650000000000000000000019ffff000000000000636f6e74656e740000000000000000000011ffff000000000000440000004700020000001030303030303030322e686973746f7279000000293109302f31383135373230096e6f207265636f7665727920746172676574207370656369666965640a430000001554494d454c494e455f484953544f5259005a0000000549";

    /// <summary>From 14.23, captured the same way: content declared text (OID 25), as on 15.</summary>
    private const string TimelineHistoryReply14 =
        "540000003b000266696c656e616d650000000000000000000019ffff000000000000636f6e74656e740000000000000000000019ffff000000000000440000004700020000001030303030303030322e686973746f7279000000293109302f31393434444130096e6f207265636f7665727920746172676574207370656369666965640a430000001554494d454c494e455f484953544f5259005a0000000549";

    private const string ReadMissingSlotReply =
        "540000005e0003736c6f745f747970650000000000000000000019ffffffffffff0000726573746172745f6c736e0000000000000000000019ffffffffffff0000726573746172745f746c6900000000000000000000140008ffffffff000044000000120003ffffffffffffffffffffffff430000001a524541445f5245504c49434154494f4e5f534c4f54005a0000000549";

    private const string DropMissingSlotReply =
        "450000006d534552524f5200564552524f5200433432373034004d7265706c69636174696f6e20736c6f7420226e6f73756368736c6f742220646f6573206e6f742065786973740046736c6f742e63004c34393900525265706c69636174696f6e536c6f744163717569726500005a0000000549";

    [Fact]
    public async Task Identify_system_reply_parses_into_its_columns()
    {
        var (rs, codes) = await ReadAll(IdentifySystemReply);
        Assert.Equal("TDCZ", codes);
        var row = rs!.SingleRow("IDENTIFY_SYSTEM");
        Assert.Equal("7712897635303489427", rs.RequiredText(row, "systemid"));
        Assert.Equal(2, rs.Int64(row, "timeline"));
        Assert.Equal(Lsn.Parse("0/5000148"), rs.Lsn(row, "xlogpos"));
        Assert.Null(rs.Text(row, "dbname"));
    }

    [Fact]
    public async Task Timeline_history_content_arrives_as_text_on_pg15_and_is_taken_as_raw_bytes()
    {
        var (rs, _) = await ReadAll(TimelineHistoryReply);
        var row = rs!.SingleRow("TIMELINE_HISTORY");
        Assert.Equal(25u, rs.ColumnTypes[rs.Column("content")]); // text, not bytea
        Assert.Equal("00000002.history", rs.RequiredText(row, "filename"));
        Assert.Equal("1\t0/3000000\tno recovery target specified\n"u8.ToArray(), rs.Bytes(row, "content"));
    }

    [Fact]
    public async Task Timeline_history_content_on_pg13_is_declared_bytea_but_sent_unescaped_and_taken_as_it_came()
    {
        var (rs, _) = await ReadAll(TimelineHistoryReply13);
        var row = rs!.SingleRow("TIMELINE_HISTORY");
        Assert.Equal(ResultSet.ByteaOid, rs.ColumnTypes[rs.Column("content")]);
        Assert.Throws<ProtocolViolationException>(() => rs.Bytes(row, "content")); // not "\x..." as a bytea would be
        Assert.Equal("1\t0/1815720\tno recovery target specified\n"u8.ToArray(), PgBackup.Postgres.Replication.ReplicationConnection.TimelineHistoryContent(130023, rs, row));
    }

    [Fact]
    public async Task Timeline_history_content_on_pg14_is_text_as_on_15()
    {
        var (rs, _) = await ReadAll(TimelineHistoryReply14);
        var row = rs!.SingleRow("TIMELINE_HISTORY");
        Assert.Equal(25u, rs.ColumnTypes[rs.Column("content")]);
        Assert.Equal("1\t0/1944DA0\tno recovery target specified\n"u8.ToArray(), PgBackup.Postgres.Replication.ReplicationConnection.TimelineHistoryContent(140023, rs, row));
    }

    [Fact]
    public async Task A_missing_slot_reads_as_one_all_null_row()
    {
        var (rs, _) = await ReadAll(ReadMissingSlotReply);
        var row = rs!.SingleRow("READ_REPLICATION_SLOT");
        Assert.All(row, Assert.Null);
    }

    [Fact]
    public async Task Error_response_yields_sqlstate_and_message()
    {
        var buffer = new ReadBuffer(new MemoryStream(Convert.FromHexString(DropMissingSlotReply)));
        var header = await buffer.ReadHeaderAsync(default);
        Assert.Equal('E', header.Code);
        var error = ErrorResponseParser.Parse((await buffer.ReadPayloadAsync(header.PayloadLength, default)).Span);
        Assert.Equal(("ERROR", "42704", "replication slot \"nosuchslot\" does not exist"), (error.Severity, error.SqlState, error.MessageText));
    }

    [Fact]
    public async Task Framing_survives_a_transport_that_delivers_one_byte_at_a_time()
    {
        var (rs, codes) = await ReadAll(new TrickleStream(Convert.FromHexString(IdentifySystemReply)));
        Assert.Equal("TDCZ", codes);
        Assert.Equal("7712897635303489427", rs!.RequiredText(rs.SingleRow("IDENTIFY_SYSTEM"), "systemid"));
    }

    [Fact]
    public async Task Large_payloads_are_read_in_chunks_straight_into_the_callers_buffer()
    {
        var payload = Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7)).ToArray();
        var message = new byte[5 + payload.Length];
        message[0] = (byte)'d';
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1), payload.Length + 4);
        payload.CopyTo(message, 5);
        var buffer = new ReadBuffer(new MemoryStream(message), initialSize: 1024);

        var header = await buffer.ReadHeaderAsync(default);
        var received = new byte[payload.Length];
        var total = 0;
        while (total < received.Length)
            total += await buffer.ReadPayloadChunkAsync(received.AsMemory(total, Math.Min(100_000, received.Length - total)), default);
        Assert.Equal(payload.Length, header.PayloadLength);
        Assert.Equal(payload, received);
    }

    [Fact]
    public async Task A_closed_transport_is_reported_as_a_lost_connection()
    {
        var buffer = new ReadBuffer(new MemoryStream(Convert.FromHexString("5400")));
        await Assert.ThrowsAsync<ConnectionLostException>(async () => await buffer.ReadHeaderAsync(default));
    }

    private static Task<(ResultSet?, string)> ReadAll(string hex) => ReadAll(new MemoryStream(Convert.FromHexString(hex)));

    private static async Task<(ResultSet?, string)> ReadAll(Stream transport)
    {
        var buffer = new ReadBuffer(transport);
        ResultSet? rs = null;
        var codes = "";
        while (true)
        {
            var header = await buffer.ReadHeaderAsync(default);
            codes += header.Code;
            var payload = await buffer.ReadPayloadAsync(header.PayloadLength, default);
            if (header.Code == 'T')
                rs = ResultSet.FromRowDescription(payload.Span);
            else if (header.Code == 'D')
                rs!.AddDataRow(payload.Span);
            else if (header.Code == 'Z')
                return (rs, codes);
        }
    }

    /// <summary>A transport that hands out one byte per read, as a slow network might.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }
}
