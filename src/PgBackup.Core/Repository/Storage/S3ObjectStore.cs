using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using PgBackup.Errors;

namespace PgBackup.Repository.Storage;

/// <summary>
/// Objects in an S3 bucket (AWS or S3-compatible) under an optional prefix. Relies only on what
/// the simplest servers offer — no conditional puts, CopyObject, ListParts, AbortMultipartUpload or
/// suffix ranges — because s3rver, our test server, has none of them.
/// </summary>
public sealed class S3ObjectStore : IObjectStore, IDisposable
{
    // DeleteObjects accepts at most this many keys per request.
    private const int DeleteBatchSize = 1000;

    /// <summary>Objects shorter than this are put in one request from a small buffer.</summary>
    private const int SmallObjectSize = 1 << 20;

    /// <summary>
    /// Part buffers, kept for reuse but only a few per size: the shared pool keeps one per thread
    /// and several per core, too much to hold at 16 MiB a part in a `serve` that mostly puts small
    /// objects, and a fresh array per put churns the large object heap.
    /// </summary>
    private static readonly ArrayPool<byte> PartBuffers = ArrayPool<byte>.Create(maxArrayLength: 1 << 30, maxArraysPerBucket: 4);

    private readonly string _prefix;

    public S3ObjectStore(S3StoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Bucket);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConcurrency, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.PartSize, 1 << 20);
        if ((options.AccessKey is null) != (options.SecretKey is null))
            throw new ArgumentException("give both the S3 access key and secret key, or neither to use the default credential chain", nameof(options));
        Options = options;
        _prefix = options.Prefix.Trim('/') is { Length: > 0 } p ? p + "/" : "";
        ObjectKey.ValidatePrefix(_prefix);

        var config = new AmazonS3Config
        {
            Timeout = options.RequestTimeout,
            ForcePathStyle = options.UsePathStyle,
        };
        if (options.ServiceUrl is null)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }
        else
        {
            config.ServiceURL = options.ServiceUrl.ToString();
            config.AuthenticationRegion = options.Region;
        }
        if (options.UseS3Compatible)
        {
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }
        Client = options.AccessKey is null
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
    }

    public S3StoreOptions Options { get; }

    public string Describe => Options.Describe;

    internal AmazonS3Client Client { get; }

    public async Task PutAsync(string key, Stream content, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ObjectKey.Validate(key);
        var size = Options.PartSize;
        // Most objects are small (an archiver puts its partial segment every second, mostly a few
        // KiB): they go up from a small pooled buffer, never touching a part buffer.
        var first = ArrayPool<byte>.Shared.Rent(SmallObjectSize);
        var filled = 0;
        try
        {
            filled = await content.ReadAtLeastAsync(first.AsMemory(0, SmallObjectSize), SmallObjectSize, throwOnEndOfStream: false, ct).ConfigureAwait(false);
            if (filled < SmallObjectSize)
            {
                await PutSingleAsync(key, first.AsMemory(0, filled), ct).ConfigureAwait(false);
                return;
            }
        }
        finally
        {
            if (filled < SmallObjectSize) ArrayPool<byte>.Shared.Return(first);
        }

        // At most MaxConcurrency part buffers are uploading and one is filling, so memory stays flat.
        var free = new ConcurrentBag<byte[]>();
        byte[] Rent() => free.TryTake(out var b) ? b : PartBuffers.Rent(size);
        var filling = Rent();
        try
        {
            first.AsSpan(0, filled).CopyTo(filling);
            ArrayPool<byte>.Shared.Return(first);
            filled += await content.ReadAtLeastAsync(filling.AsMemory(filled, size - filled), size - filled, throwOnEndOfStream: false, ct).ConfigureAwait(false);
            if (filled < size)
            {
                await PutSingleAsync(key, filling.AsMemory(0, filled), ct).ConfigureAwait(false);
                return;
            }
            using var upload = await S3MultipartUpload.StartAsync(this, key, ct).ConfigureAwait(false);
            try
            {
                while (filled > 0)
                {
                    var part = filling;
                    // In flight from here on: it goes back to the pool only once its upload has ended.
                    filling = null;
                    await upload.AddPartAsync(part.AsMemory(0, filled), () => free.Add(part), ct).ConfigureAwait(false);
                    filling = Rent();
                    filled = await content.ReadAtLeastAsync(filling.AsMemory(0, size), size, throwOnEndOfStream: false, ct).ConfigureAwait(false);
                }
                await upload.CompleteAsync(ct).ConfigureAwait(false);
            }
            catch
            {
                await upload.AbandonAsync().ConfigureAwait(false);
                throw;
            }
        }
        finally
        {
            if (filling is not null) PartBuffers.Return(filling);
            while (free.TryTake(out var uploaded)) PartBuffers.Return(uploaded);
        }
    }

    public async Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken ct = default)
    {
        ObjectKey.Validate(key);
        if (content.Length <= Options.PartSize)
        {
            await PutSingleAsync(key, content, ct).ConfigureAwait(false);
            return;
        }
        // The body is in memory already: parts are slices of it, nothing is copied.
        using var upload = await S3MultipartUpload.StartAsync(this, key, ct).ConfigureAwait(false);
        try
        {
            for (var offset = 0; offset < content.Length; offset += Options.PartSize)
                await upload.AddPartAsync(content.Slice(offset, Math.Min(Options.PartSize, content.Length - offset)), null, ct).ConfigureAwait(false);
            await upload.CompleteAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await upload.AbandonAsync().ConfigureAwait(false);
            throw;
        }
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken ct = default) =>
        GetAsync(key, new GetObjectRequest { BucketName = Options.Bucket, Key = FullKey(key) }, expectedLength: null, ct);

    public Task<Stream> OpenReadAsync(string key, long offset, long length, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        // An empty range cannot be expressed in a Range header.
        if (length == 0)
            return Task.FromResult<Stream>(new MemoryStream([], writable: false));
        var request = new GetObjectRequest { BucketName = Options.Bucket, Key = FullKey(key), ByteRange = new ByteRange(offset, offset + length - 1) };
        return GetAsync(key, request, length, ct);
    }

    public async Task<ObjectInfo?> HeadAsync(string key, CancellationToken ct = default)
    {
        var request = new GetObjectMetadataRequest { BucketName = Options.Bucket, Key = FullKey(key) };
        try
        {
            var response = await CallAsync($"read '{key}'", c => Client.GetObjectMetadataAsync(request, c), ct, readKey: key).ConfigureAwait(false);
            return new ObjectInfo(key, response.ContentLength, response.LastModified ?? DateTimeOffset.MinValue);
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }
    }

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct = default)
    {
        ObjectKey.ValidatePrefix(prefix);
        var request = new ListObjectsV2Request { BucketName = Options.Bucket, Prefix = _prefix + prefix };
        while (true)
        {
            var page = await CallAsync($"list '{prefix}'", c => Client.ListObjectsV2Async(request, c), ct).ConfigureAwait(false);
            foreach (var o in page.S3Objects ?? [])
                yield return new ObjectInfo(o.Key[_prefix.Length..], o.Size ?? 0, o.LastModified ?? DateTimeOffset.MinValue);
            if (page.IsTruncated != true)
                yield break;
            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    public Task DeleteAsync(string key, CancellationToken ct = default) =>
        CallAsync($"delete '{key}'", c => Client.DeleteObjectAsync(Options.Bucket, FullKey(key), c), ct);

    public async Task DeleteManyAsync(IEnumerable<string> keys, CancellationToken ct = default)
    {
        foreach (var batch in keys.Chunk(DeleteBatchSize))
        {
            var request = new DeleteObjectsRequest { BucketName = Options.Bucket, Quiet = true, Objects = [.. batch.Select(k => new KeyVersion { Key = FullKey(k) })] };
            var response = await CallAsync($"delete {batch.Length} objects", c => Client.DeleteObjectsAsync(request, c), ct).ConfigureAwait(false);
            if (response.DeleteErrors is [var first, ..])
                throw new RepositoryException($"{Describe} refused to delete {response.DeleteErrors.Count} objects, e.g. '{first.Key}': {first.Code} {first.Message}");
        }
    }

    public void Dispose() => Client.Dispose();

    internal string FullKey(string key)
    {
        ObjectKey.Validate(key);
        return _prefix + key;
    }

    internal void ApplyEncryption(PutObjectRequest request)
    {
        request.ServerSideEncryptionMethod = EncryptionMethod;
        request.ServerSideEncryptionKeyManagementServiceKeyId = KmsKeyId;
    }

    internal void ApplyEncryption(InitiateMultipartUploadRequest request)
    {
        request.ServerSideEncryptionMethod = EncryptionMethod;
        request.ServerSideEncryptionKeyManagementServiceKeyId = KmsKeyId;
    }

    /// <summary>
    /// Runs one SDK call, turning its failures into repository errors that name <paramref name="operation"/>;
    /// a 404 for <paramref name="readKey"/> becomes <see cref="ObjectNotFoundException"/>.
    /// </summary>
    internal async Task<T> CallAsync<T>(string operation, Func<CancellationToken, Task<T>> call, CancellationToken ct, string? readKey = null)
    {
        try
        {
            return await call(ct).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (readKey is not null && S3Errors.IsNotFound(e))
        {
            throw new ObjectNotFoundException(readKey, Describe);
        }
        catch (Exception e) when (S3Errors.Translate(e, operation, Options, ct) is { } translated)
        {
            throw translated;
        }
    }

    private ServerSideEncryptionMethod? EncryptionMethod => Options.ServerSideEncryption switch
    {
        S3ServerSideEncryption.Aes256 => ServerSideEncryptionMethod.AES256,
        S3ServerSideEncryption.Kms => ServerSideEncryptionMethod.AWSKMS,
        _ => null,
    };

    private string? KmsKeyId => Options.ServerSideEncryption == S3ServerSideEncryption.Kms ? Options.KmsKeyId : null;

    private async Task PutSingleAsync(string key, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        using var stream = MemoryStreams.ReadOnly(body);
        var request = new PutObjectRequest { BucketName = Options.Bucket, Key = FullKey(key), InputStream = stream, AutoCloseStream = false };
        if (Options.UseS3Compatible)
            request.UseChunkEncoding = false;
        ApplyEncryption(request);
        await CallAsync($"write '{key}'", c => Client.PutObjectAsync(request, c), ct).ConfigureAwait(false);
    }

    private async Task<Stream> GetAsync(string key, GetObjectRequest request, long? expectedLength, CancellationToken ct)
    {
        var response = await CallAsync($"read '{key}'", c => Client.GetObjectAsync(request, c), ct, readKey: key).ConfigureAwait(false);
        // A range past the end comes back short (or as 416): callers must not read a truncated chunk.
        if (expectedLength is { } length && response.ContentLength != length)
        {
            response.Dispose();
            throw new RepositoryException($"object '{key}' in {Describe} is shorter than the {length} bytes a read at offset {request.ByteRange.Start} expected: the repository is damaged or the manifest is wrong");
        }
        return new S3ReadStream(response.ResponseStream, key, Describe);
    }
}
