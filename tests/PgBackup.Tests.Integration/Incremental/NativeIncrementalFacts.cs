using PgBackup.Postgres;
using PgBackup.Repository.Catalog;
using PgBackup.Tests.Integration.Retention;
using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Incremental;

/// <summary>
/// PostgreSQL 17+ native incrementals against the live sandbox: the replica sends only the changed
/// blocks, PgBackup rebuilds the files from the chain on restore (no pg_combinebackup), each backup
/// restores to exactly its moment, verify checks the INCREMENTAL objects, and a source that cannot
/// take one gives a block-level incremental that says why. On 15 the same facts prove the fallback.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class NativeIncrementalFacts(NativeIncrementalChain chain, ITestOutputHelper output) : IClassFixture<NativeIncrementalChain>
{
    private bool NativeCapable => chain.PgMajor >= 17;

    [Theory]
    [Trait(Smoke.Trait, Smoke.Yes)]
    [InlineData("full")]
    [InlineData("incr1")]
    [InlineData("incr2")]
    [InlineData("quiet")]
    public async Task Each_backup_restores_with_start_to_exactly_the_data_of_its_moment(string step)
    {
        await using var restored = new RestoredDirectory();
        await ChainRestore.RestoreAndStartAsync(chain.Native.Path, restored, output, "--backup", chain.Backups[step].Id, "--immediate");
        Assert.Equal(chain.Checksums[step], Assert.Single(await restored.QueryAsync(NativeIncrementalChain.ChecksumSql)));
    }

    [Fact]
    [Trait(Smoke.Trait, Smoke.Yes)]
    public void Incrementals_are_native_where_the_source_summarizes_wal_and_say_why_not_elsewhere()
    {
        foreach (var step in new[] { "incr1", "incr2" })
        {
            var backup = chain.Backups[step];
            output.WriteLine($"{step}: {backup.Format}, {backup.StoredSize} bytes stored, on {backup.Reference}");
            Assert.Equal(chain.Backups[step == "incr1" ? "full" : "incr1"].Id, backup.Reference);
            if (NativeCapable)
            {
                Assert.Equal(BackupManifest.NativeIncrementalFormat, backup.Format);
                Assert.Contains(backup.Files, f => IncrementalFileHeader.IsIncrementalPath(f.Path));
                Assert.Contains("Taking a native incremental", chain.Logs[step]);
            }
            else
            {
                Assert.Equal("client-chunks", backup.Format);
                Assert.Contains($"cannot take a native one: it runs PostgreSQL {chain.PgMajor}, which has no native incremental backups", chain.Logs[step]);
            }
        }
    }

    [Fact]
    [Trait(Smoke.Trait, Smoke.Yes)]
    public void A_native_incremental_stores_far_less_than_a_block_level_one_of_the_same_change()
    {
        foreach (var step in new[] { "incr1", "incr2" })
        {
            // The data each stored itself (its own packs), and all it stored (with its WAL and PostgreSQL's manifest).
            long native = OwnPacks(chain.Backups[step]), blockLevel = OwnPacks(chain.BlockLevelBackups[step]), full = OwnPacks(chain.Backups["full"]);
            output.WriteLine($"{step}: native policy {native} bytes of packs, {chain.Backups[step].StoredSize} stored ({chain.Backups[step].Format}); " +
                $"block-level {blockLevel} bytes of packs, {chain.BlockLevelBackups[step].StoredSize} stored; full {full} bytes of packs, {chain.Backups["full"].StoredSize} stored");
            output.WriteLine($"  taken from: native policy {From(chain.Backups[step])} (full {From(chain.Backups["full"])}), " +
                $"block-level {From(chain.BlockLevelBackups[step])} (full {From(chain.BlockLevelBackups["full"])})");
            output.WriteLine($"  wall time: native policy {Took(chain.Backups[step])}, block-level {Took(chain.BlockLevelBackups[step])}, full {Took(chain.Backups["full"])}");
            output.WriteLine("  largest own files: " + string.Join(", ", chain.Backups[step].Files.Select(f => (f.Path, Bytes: f.Chunks.Where(c => chain.Backups[step].Packs[c.Pack].Backup is null).Sum(c => (long)c.StoredLength)))
                .OrderByDescending(f => f.Bytes).Take(5).Select(f => $"{f.Path} {f.Bytes}")));
            Assert.Equal("client-chunks", chain.BlockLevelBackups[step].Format);
            if (NativeCapable) Assert.True(native * 3 < blockLevel, $"{step}: native {native} bytes, block-level {blockLevel}");
            else
            {
                // The fallback is a block-level incremental: what the other policy stored, and far less than the full.
                Assert.True(Math.Abs(native - blockLevel) * 100 <= blockLevel, $"{step}: the fallback stores {native} bytes, block-level {blockLevel}");
                Assert.True(native * 3 < full, $"{step}: the fallback stores {native} bytes, the full {full}");
            }
        }
    }

    private static string From(BackupManifest backup) => $"{backup.Source.Member} on timeline {backup.Timeline} at {backup.StartLsn}";

    private static string Took(BackupManifest backup) => $"{(backup.EndTime - backup.StartTime).TotalSeconds:0.00} s";

    private static long OwnPacks(BackupManifest backup) => backup.Packs.Where(p => p.Backup is null).Sum(p => p.Size);

    [Fact]
    [Trait(Smoke.Trait, Smoke.Yes)]
    public void An_incremental_is_taken_from_the_replica_that_took_its_reference_or_says_why_not()
    {
        foreach (var (step, reference) in new[] { ("incr1", "full"), ("incr2", "incr1"), ("quiet", "incr2") })
        {
            var (member, referenceMember) = (chain.Backups[step].Source.Member, chain.Backups[reference].Source.Member);
            output.WriteLine($"{step} from {member}, its reference {reference} from {referenceMember}");
            Assert.Contains(member == referenceMember
                ? $"from {member} (127.0.0.1:"
                : $"was taken from {referenceMember}, which ranks lower now", chain.Logs[step]);
            if (member == referenceMember) Assert.Contains("took the backup this one builds on", chain.Logs[step]);
        }
    }

    [Fact]
    [Trait(Smoke.Trait, Smoke.Yes)]
    public void A_source_that_refuses_the_manifest_gives_a_block_level_incremental_that_says_why()
    {
        var quiet = chain.Backups["quiet"];
        output.WriteLine(chain.Logs["quiet"]);
        Assert.Equal("client-chunks", quiet.Format);
        Assert.Equal(chain.Backups["incr2"].Id, quiet.Reference);
        Assert.Contains(NativeCapable
            ? $"refused a native one on {chain.Backups["incr2"].Id}: manifest requires WAL from final timeline"
            : "which has no native incremental backups", chain.Logs["quiet"]);
    }

    [Fact]
    [Trait(Smoke.Trait, Smoke.Yes)]
    public async Task Verify_passes_for_the_chain_and_names_a_flipped_byte_in_an_incremental_object()
    {
        var all = await PgBackupCli.RunAsync(["verify", "--policy", chain.Native.Path, "--all"], ChainRestore.Timeout);
        Assert.True(all.ExitCode == 0, all.ToString());

        var incr2 = chain.Backups["incr2"];
        // On 17 a chunk of an INCREMENTAL file the backup stored itself; on 15 (no such files) any chunk it stored.
        var file = incr2.Files.Where(f => f.Chunks.Count > 0 && incr2.Packs[f.Chunks[0].Pack].Backup is null)
            .OrderByDescending(f => IncrementalFileHeader.IsIncrementalPath(f.Path)).ThenByDescending(f => f.Chunks[0].StoredLength).First();
        Assert.Equal(NativeCapable, IncrementalFileHeader.IsIncrementalPath(file.Path));
        var chunk = file.Chunks[0];
        var pack = incr2.Packs[chunk.Pack].Key;
        output.WriteLine($"flipping a byte of {file.Path}'s first chunk in {pack} at {chunk.Offset}");
        var path = Path.Combine(chain.Native.RepositoryPath, "sandbox", "backups", incr2.Id, pack);
        using (VerifiedRepository.FlipByte(path, chunk.Offset + chunk.StoredLength / 2))
        {
            var run = await PgBackupCli.RunAsync(["verify", "--policy", chain.Native.Path, incr2.Id], ChainRestore.Timeout);
            output.WriteLine(run.ToString());
            Assert.True(run.ExitCode == 4, run.ToString());
            Assert.Contains($"backups/{incr2.Id}/{pack}", run.Stdout + run.Stderr);
        }
    }

    [Fact]
    [Trait(Smoke.Trait, Smoke.Yes)]
    public void Native_incrementals_depend_on_their_whole_chain_so_expire_keeps_it()
    {
        var incr2 = chain.Backups["incr2"];
        if (NativeCapable) Assert.Contains(chain.Backups["incr1"].Id, incr2.DependsOn);
        // Through incr1 (which depends on the full) expire keeps the chain; a restore of incr2 reads it.
        var incr1 = chain.Backups["incr1"];
        Assert.Contains(chain.Backups["full"].Id, incr1.DependsOn);
    }
}
