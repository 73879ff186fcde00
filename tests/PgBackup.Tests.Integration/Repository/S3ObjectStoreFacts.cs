using System.Diagnostics;
using System.Security.Cryptography;
using PgBackup.Errors;
using PgBackup.Repository.Storage;
using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Repository;

/// <summary>
/// The S3 store against the sandbox's real s3rver through AWSSDK.S3. Every test compares the
/// SHA-256 of what it reads back with what it wrote: s3rver answers 200 to bodies it corrupts.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class S3ObjectStoreFacts(SandboxFixture sandbox, ITestOutputHelper output) : IDisposable
{
    private readonly List<S3ObjectStore> _stores = [];

    private S3ObjectStore Store(Func<S3StoreOptions, S3StoreOptions>? adjust = null)
    {
        var e = sandbox.Endpoints;
        var options = new S3StoreOptions
        {
            ServiceUrl = new Uri(e.S3Url),
            Region = e["SANDBOX_S3_REGION"],
            Bucket = e.S3Bucket,
            Prefix = $"tests/{Guid.NewGuid():N}",
            AccessKey = e.S3AccessKey,
            SecretKey = e.S3SecretKey,
        };
        var store = new S3ObjectStore(adjust?.Invoke(options) ?? options);
        _stores.Add(store);
        return store;
    }

    public void Dispose()
    {
        foreach (var s in _stores)
            s.Dispose();
    }

    [Fact]
    public async Task Small_put_reads_back_byte_identical()
    {
        var store = Store();
        var body = RandomNumberGenerator.GetBytes(100_000);

        await store.PutAsync("a/small.bin", body);

        await using var read = await store.OpenReadAsync("a/small.bin");
        Assert.Equal((Convert.ToHexStringLower(SHA256.HashData(body)), body.Length), await GeneratedStream.HashAsync(read));
        Assert.Equal(body.Length, (await store.HeadAsync("a/small.bin"))!.Size);
    }

    [Fact]
    public async Task Streamed_100_MiB_put_goes_multipart_with_flat_memory_and_reads_back_identical()
    {
        const long size = 100L << 20;
        var store = Store(o => o with { PartSize = 8 << 20, MaxConcurrency = 3 });
        using var source = new GeneratedStream(size, seed: 42);
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(false) - baseline);
                await Task.Delay(10);
            }
        });

        await store.PutAsync("big/object.bin", source);
        await sampling.CancelAsync();
        await sampler;

        output.WriteLine($"managed heap peak growth during the upload: {peak >> 20} MiB");
        // (3 uploading + 1 filling) x 8 MiB of part buffers, plus the SDK's own; the object is 100 MiB.
        Assert.True(peak < 60L << 20, $"managed heap grew by {peak >> 20} MiB during a {size >> 20} MiB upload");
        await using var read = await store.OpenReadAsync("big/object.bin");
        Assert.Equal((source.Sha256, size), await GeneratedStream.HashAsync(read));
    }

    [Fact]
    public async Task Failed_source_stream_leaves_no_object()
    {
        var store = Store(o => o with { PartSize = 5 << 20 });
        using var source = new GeneratedStream(40L << 20, seed: 1) { FailAt = position => position > 12 << 20 };

        await Assert.ThrowsAsync<IOException>(() => store.PutAsync("broken.bin", source));

        Assert.Null(await store.HeadAsync("broken.bin"));
    }

    [Fact]
    public async Task Ranged_read_returns_exactly_the_range()
    {
        var store = Store();
        var body = RandomNumberGenerator.GetBytes(1 << 20);
        await store.PutAsync("ranged.bin", body);

        await using var read = await store.OpenReadAsync("ranged.bin", 12_345, 100_000);

        Assert.Equal((Convert.ToHexStringLower(SHA256.HashData(body.AsSpan(12_345, 100_000))), 100_000L), await GeneratedStream.HashAsync(read));
    }

    [Fact]
    public async Task Ranged_read_past_the_end_is_a_repository_error()
    {
        var store = Store();
        await store.PutAsync("short.bin", new byte[1000]);

        var e = await Assert.ThrowsAnyAsync<PgBackupException>(() => store.OpenReadAsync("short.bin", 900, 200));

        Assert.Equal(ErrorClass.RepositoryUnavailable, e.Class);
        Assert.Contains("short.bin", e.Message);
    }

    [Fact]
    public async Task Missing_object_is_ObjectNotFound_and_head_is_null()
    {
        var store = Store();

        await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.OpenReadAsync("nothing/here"));
        Assert.Null(await store.HeadAsync("nothing/here"));
    }

    [Fact]
    public async Task Listing_more_than_1000_keys_follows_pagination_in_key_order()
    {
        var store = Store();
        var keys = await PutManyAsync(store, "list/", 1100);

        var listed = await store.ListAsync("list/").Select(o => o.Key).ToListAsync();

        Assert.Equal(keys.Order(StringComparer.Ordinal), listed);
    }

    [Fact]
    public async Task Delete_many_removes_more_than_one_batch()
    {
        var store = Store();
        var keys = await PutManyAsync(store, "del/", 1050);
        await store.PutAsync("keep/me", new byte[1]);

        await store.DeleteManyAsync(keys);

        Assert.Empty(await store.ListAsync("del/").ToListAsync());
        Assert.NotNull(await store.HeadAsync("keep/me"));
    }

    [Fact]
    public async Task Missing_bucket_is_a_repository_error_naming_the_bucket()
    {
        var store = Store(o => o with { Bucket = "no-such-bucket-" + Guid.NewGuid().ToString("N")[..8] });

        var e = await Assert.ThrowsAsync<RepositoryException>(() => store.PutAsync("x", new byte[10]));

        Assert.Contains(store.Options.Bucket, e.Message);
        Assert.Contains("does not exist", e.Message);
        Assert.DoesNotContain(sandbox.Endpoints.S3SecretKey, e.Message);
    }

    [Fact]
    public async Task Unreachable_endpoint_is_a_repository_error_within_the_timeout()
    {
        var store = Store(o => o with { ServiceUrl = new Uri("http://127.0.0.1:1"), RequestTimeout = TimeSpan.FromSeconds(5) });
        var clock = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<RepositoryException>(() => store.PutAsync("x", new byte[10]));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
        Assert.Contains("127.0.0.1:1", e.Message);
    }

    private static async Task<List<string>> PutManyAsync(S3ObjectStore store, string prefix, int count)
    {
        var keys = Enumerable.Range(0, count).Select(i => $"{prefix}{i:D5}").ToList();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (k, ct) => await store.PutAsync(k, new byte[] { 1, 2, 3 }, ct));
        return keys;
    }
}
