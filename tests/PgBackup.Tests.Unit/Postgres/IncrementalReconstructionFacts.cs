using PgBackup.Postgres;

namespace PgBackup.Tests.Unit.Postgres;

/// <summary>
/// Reconstruction of one relation file across a chain, byte for byte against what pg_combinebackup
/// wrote for the same chain (Samples/pg17-reconstruction: a grown file, then a truncated one).
/// </summary>
public sealed class IncrementalReconstructionFacts
{
    private static readonly byte[] Full = Sample("full.gz");
    private static readonly byte[] Incr1 = Sample("incr1.INCREMENTAL.gz");
    private static readonly byte[] Incr2 = Sample("incr2.INCREMENTAL.gz");

    [Fact]
    public async Task Full_plus_one_incremental_is_what_pg_combinebackup_wrote()
    {
        var bytes = await ReconstructAsync(Incr1, Full);
        Assert.Equal(Sample("combined1.gz"), bytes);
    }

    [Fact]
    public async Task Full_plus_two_incrementals_is_what_pg_combinebackup_wrote_truncation_included()
    {
        var bytes = await ReconstructAsync(Incr2, Incr1, Full);
        var expected = Sample("combined2.gz");
        Assert.Equal(40 * 8192, expected.Length);
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void Blocks_beyond_the_newest_truncation_length_are_not_taken_from_older_backups()
    {
        var plan = new IncrementalReconstruction(Header(Incr2));
        plan.AddIncremental(Header(Incr1));
        plan.AddFull(Full.Length);
        // incr1 grew the file to 60 blocks; incr2 says 40: incr1's blocks 50 to 59 are not resurrected.
        Assert.Equal(40, plan.BlockLength);
        Assert.True(plan.Complete);
        Assert.Equal((0, 8192 + 8192), plan.SourceOf(16)); // changed in incr2: its second block
        Assert.Equal((2, 8192L), plan.SourceOf(1));       // unchanged since the full
    }

    [Fact]
    public void A_block_nobody_has_is_zeros()
    {
        // An incremental with no blocks whose truncation length exceeds the full file: the server extended it unlogged.
        var header = IncrementalFileHeader.Parse([0x0d, 0x1f, 0xae, 0xd3, 0, 0, 0, 0, 3, 0, 0, 0], 12);
        var plan = new IncrementalReconstruction(header);
        plan.AddFull(8192);
        Assert.Equal(1, plan.SourceOf(0).Source);
        Assert.Equal(IncrementalReconstruction.Zeros, plan.SourceOf(2).Source);
    }

    private static async Task<byte[]> ReconstructAsync(byte[] newest, params byte[][] older)
    {
        var sources = older.Prepend(newest).ToArray();
        var plan = new IncrementalReconstruction(Header(newest));
        foreach (var incremental in older[..^1]) plan.AddIncremental(Header(incremental));
        plan.AddFull(older[^1].Length);
        var output = new byte[plan.FileLength];
        await plan.WriteAsync(
            (source, offset, block, _) => { sources[source].AsMemory((int)offset, block.Length).CopyTo(block); return ValueTask.CompletedTask; },
            (run, offset, _) => { run.CopyTo(output.AsMemory((int)offset)); return ValueTask.CompletedTask; },
            CancellationToken.None);
        return output;
    }

    private static IncrementalFileHeader Header(byte[] file) => IncrementalFileHeader.Parse(file, file.Length);

    private static byte[] Sample(string name) => TestData.ReadGzipped("Samples", "pg17-reconstruction", name);
}
