using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using Amazon.S3.Model;

namespace PgBackup.Repository.Storage;

/// <summary>
/// One multipart upload whose parts go up concurrently, at most <see cref="S3StoreOptions.MaxConcurrency"/>
/// at a time: <see cref="AddPartAsync"/> waits for a free slot, which is the backpressure that
/// keeps memory flat. Not TransferUtility, because it cannot turn off aws-chunked encoding.
/// </summary>
/// <remarks>
/// A failed upload is left incomplete rather than aborted: s3rver has no AbortMultipartUpload, and
/// on AWS a bucket lifecycle rule (AbortIncompleteMultipartUpload) reclaims the parts.
/// </remarks>
internal sealed class S3MultipartUpload : IDisposable
{
    // S3's limit on parts per upload.
    private const int MaxParts = 10_000;

    private readonly S3ObjectStore _store;
    private readonly string _key;
    private readonly string _uploadId;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentBag<PartETag> _etags = [];
    private readonly List<Task> _uploads = [];
    private readonly CancellationTokenSource _failed;
    private int _partNumber;

    private S3MultipartUpload(S3ObjectStore store, string key, string uploadId, CancellationToken ct)
    {
        _store = store;
        _key = key;
        _uploadId = uploadId;
        _slots = new SemaphoreSlim(store.Options.MaxConcurrency);
        _failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
    }

    public static async Task<S3MultipartUpload> StartAsync(S3ObjectStore store, string key, CancellationToken ct)
    {
        var request = new InitiateMultipartUploadRequest { BucketName = store.Options.Bucket, Key = store.FullKey(key) };
        store.ApplyEncryption(request);
        var response = await store.CallAsync($"write '{key}'", c => store.Client.InitiateMultipartUploadAsync(request, c), ct).ConfigureAwait(false);
        return new S3MultipartUpload(store, key, response.UploadId, ct);
    }

    /// <summary>
    /// Starts uploading the next part once a slot is free; <paramref name="uploaded"/> runs when
    /// the body is no longer needed (success or failure), e.g. to recycle its buffer.
    /// </summary>
    public async Task AddPartAsync(ReadOnlyMemory<byte> body, Action? uploaded, CancellationToken ct)
    {
        try
        {
            await _slots.WaitAsync(_failed.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // A part failed: surface its error, not the cancellation it caused.
            await WhenAllPartsAsync().ConfigureAwait(false);
            throw;
        }
        var partNumber = ++_partNumber;
        if (partNumber > MaxParts)
        {
            _slots.Release();
            throw new Errors.RepositoryException($"object '{_key}' needs more than {MaxParts} parts of {_store.Options.PartSize} bytes: raise the part size");
        }
        _uploads.Add(Task.Run(async () =>
        {
            try
            {
                using var stream = MemoryStreams.ReadOnly(body);
                var request = new UploadPartRequest
                {
                    BucketName = _store.Options.Bucket,
                    Key = _store.FullKey(_key),
                    UploadId = _uploadId,
                    PartNumber = partNumber,
                    InputStream = stream,
                    PartSize = body.Length,
                };
                if (_store.Options.UseS3Compatible)
                    request.UseChunkEncoding = false;
                var response = await _store.CallAsync($"write '{_key}'", c => _store.Client.UploadPartAsync(request, c), _failed.Token).ConfigureAwait(false);
                _etags.Add(new PartETag(partNumber, response.ETag));
            }
            catch
            {
                // Stop the other parts and the producer early; the first error is reported by CompleteAsync.
                await _failed.CancelAsync().ConfigureAwait(false);
                throw;
            }
            finally
            {
                uploaded?.Invoke();
                _slots.Release();
            }
        }, CancellationToken.None));
    }

    /// <summary>Waits for every part and makes the object visible; throws the first part's failure.</summary>
    public async Task CompleteAsync(CancellationToken ct)
    {
        await WhenAllPartsAsync().ConfigureAwait(false);
        var request = new CompleteMultipartUploadRequest
        {
            BucketName = _store.Options.Bucket,
            Key = _store.FullKey(_key),
            UploadId = _uploadId,
            PartETags = [.. _etags.OrderBy(e => e.PartNumber)],
        };
        await _store.CallAsync($"write '{_key}'", c => _store.Client.CompleteMultipartUploadAsync(request, c), ct).ConfigureAwait(false);
    }

    /// <summary>Waits for parts already started, so no buffer is still in use when the caller gives up.</summary>
    public async Task AbandonAsync()
    {
        await _failed.CancelAsync().ConfigureAwait(false);
        try
        {
            await WhenAllPartsAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The caller is already failing with its own exception.
        }
    }

    private async Task WhenAllPartsAsync()
    {
        var all = Task.WhenAll(_uploads);
        try
        {
            await all.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (all.Exception?.InnerExceptions.FirstOrDefault(e => e is not OperationCanceledException) is { } first)
        {
            // Parts cancelled because another failed: report the one that failed.
            ExceptionDispatchInfo.Throw(first);
        }
    }

    public void Dispose()
    {
        _failed.Dispose();
        _slots.Dispose();
    }
}
