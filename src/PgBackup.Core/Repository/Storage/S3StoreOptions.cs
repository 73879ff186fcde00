namespace PgBackup.Repository.Storage;

/// <summary>Server-side encryption asked of S3; passed through, the store never sees keys.</summary>
public enum S3ServerSideEncryption
{
    None,
    Aes256,
    Kms,
}

/// <summary>Where and how <see cref="S3ObjectStore"/> talks to S3 or an S3-compatible server.</summary>
public sealed record S3StoreOptions
{
    /// <summary>Endpoint of an S3-compatible server (MinIO, Ceph, s3rver...); null means AWS S3 in <see cref="Region"/>.</summary>
    public Uri? ServiceUrl { get; init; }

    public string Region { get; init; } = "us-east-1";

    public required string Bucket { get; init; }

    /// <summary>Prepended to every key, e.g. "pgbackup"; empty for the bucket's root.</summary>
    public string Prefix { get; init; } = "";

    /// <summary>Static credentials; null for both uses the SDK's default chain (environment, profile, instance role).</summary>
    public string? AccessKey { get; init; }

    public string? SecretKey { get; init; }

    /// <summary>Bucket in the path instead of the host name; defaults to on for a <see cref="ServiceUrl"/>.</summary>
    public bool? ForcePathStyle { get; init; }

    /// <summary>
    /// Talk the lowest common denominator of S3: no aws-chunked bodies and checksums only where
    /// required. Many S3-compatible servers (s3rver among them) answer 200 to an aws-chunked body
    /// and store the chunk framing inside the object, which is silent corruption. Defaults to on
    /// for a <see cref="ServiceUrl"/>, off for AWS.
    /// </summary>
    public bool? S3Compatible { get; init; }

    public S3ServerSideEncryption ServerSideEncryption { get; init; } = S3ServerSideEncryption.None;

    /// <summary>KMS key for <see cref="S3ServerSideEncryption.Kms"/>; null uses the bucket's default key.</summary>
    public string? KmsKeyId { get; init; }

    /// <summary>Limit for one HTTP request (not for reading a whole object's body).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Parts of one multipart upload in flight at once; memory per upload is about this times <see cref="PartSize"/>.</summary>
    public int MaxConcurrency { get; init; } = 4;

    /// <summary>Size of a multipart part, and the largest body sent as a single PutObject (S3 requires at least 5 MiB).</summary>
    public int PartSize { get; init; } = 16 << 20;

    internal bool UsePathStyle => ForcePathStyle ?? ServiceUrl is not null;

    internal bool UseS3Compatible => S3Compatible ?? ServiceUrl is not null;

    /// <summary>"s3://bucket/prefix at URL" — never includes credentials.</summary>
    internal string Describe =>
        $"s3://{Bucket}/{Prefix.Trim('/')}".TrimEnd('/') + " at " + (ServiceUrl?.GetLeftPart(UriPartial.Authority) ?? $"AWS {Region}");
}
