using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using PgBackup.Errors;

namespace PgBackup.Repository.Storage;

/// <summary>
/// Turns what the AWS SDK throws into one actionable line: the SDK's own messages name neither the
/// endpoint nor the object and rarely say what to do.
/// </summary>
internal static class S3Errors
{
    public static bool IsNotFound(AmazonS3Exception e) =>
        e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode is null or "NoSuchKey" or "NotFound";

    /// <summary>
    /// The exception to throw for <paramref name="e"/>, raised while doing <paramref name="operation"/>
    /// (e.g. "write 'x/y'") on the store; null when <paramref name="e"/> is the caller's own
    /// cancellation, which must propagate unchanged.
    /// </summary>
    public static Exception? Translate(Exception e, string operation, S3StoreOptions options, CancellationToken ct)
    {
        if (ct.IsCancellationRequested && e is OperationCanceledException)
            return null;
        var where = options.Describe;
        return e switch
        {
            AmazonS3Exception { ErrorCode: "NoSuchBucket" } =>
                new RepositoryException($"bucket '{options.Bucket}' does not exist at {Endpoint(options)} (while trying to {operation}): create it or correct the bucket name", e),
            AmazonS3Exception { ErrorCode: "InvalidAccessKeyId" or "SignatureDoesNotMatch" } s =>
                new RepositoryException($"{where} rejected the credentials ({s.ErrorCode}) while trying to {operation}: check the access key and secret key", e),
            AmazonS3Exception { StatusCode: HttpStatusCode.Forbidden } s =>
                new RepositoryException($"access denied to {where} ({s.ErrorCode ?? "403"}) while trying to {operation}: check the credentials and the bucket policy", e),
            AmazonS3Exception s =>
                new RepositoryException($"{where} refused to {operation}: {(int)s.StatusCode} {s.ErrorCode} {s.Message}", e),
            _ when IsUnreachable(e) =>
                new RepositoryException($"cannot reach {Endpoint(options)} to {operation} (timeout {options.RequestTimeout.TotalSeconds:0} s): {Innermost(e).Message}; check the endpoint URL and that the server is running", e),
            AmazonServiceException or AmazonClientException =>
                new RepositoryException($"cannot {operation} on {where}: {Innermost(e).Message}", e),
            _ => null,
        };
    }

    private static string Endpoint(S3StoreOptions options) =>
        options.ServiceUrl?.GetLeftPart(UriPartial.Authority) ?? $"AWS S3 ({options.Region})";

    private static bool IsUnreachable(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is HttpRequestException or SocketException or TimeoutException or OperationCanceledException or IOException)
                return true;
        return false;
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
            e = e.InnerException;
        return e;
    }
}
