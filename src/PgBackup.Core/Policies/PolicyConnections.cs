using PgBackup.Postgres.Replication;
using PgBackup.Repository;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Storage;

namespace PgBackup.Policies;

/// <summary>Turns a policy's settings into the engine's connection and storage objects.</summary>
public static class PolicyConnections
{
    public static ReplicationConnectionSettings Replication(this Policy policy, string host, int port, string applicationName = "pgbackup") => new()
    {
        Host = host,
        Port = port,
        User = policy.Connection.User,
        Password = policy.Connection.Password?.Reveal(),
        Database = policy.Connection.Database,
        ApplicationName = applicationName,
        SslMode = policy.Connection.SslMode,
        RootCertificatePath = policy.Connection.SslRootCert,
        ConnectTimeout = policy.Connection.ConnectTimeout,
    };

    public static BackupRepository OpenRepository(this Policy policy)
    {
        var r = policy.Repository;
        IObjectStore store = r.Kind == RepositoryKind.Local
            ? new LocalDirectoryObjectStore(r.Path!)
            : new S3ObjectStore(new S3StoreOptions
            {
                ServiceUrl = r.S3!.Endpoint is { } e ? new Uri(e) : null,
                Region = r.S3.Region,
                Bucket = r.S3.Bucket,
                Prefix = r.S3.Prefix,
                AccessKey = r.S3.AccessKey?.Reveal(),
                SecretKey = r.S3.SecretKey?.Reveal(),
                ForcePathStyle = r.S3.ForcePathStyle,
                S3Compatible = r.S3.S3Compatible,
                ServerSideEncryption = r.S3.ServerSideEncryption switch
                {
                    "AES256" => S3ServerSideEncryption.Aes256,
                    "aws:kms" => S3ServerSideEncryption.Kms,
                    _ => S3ServerSideEncryption.None,
                },
                KmsKeyId = r.S3.KmsKeyId,
            });
        return new BackupRepository(store, new RepositoryLayout(policy.Cluster), new RepositoryCodec(r.CompressionLevel, r.EncryptionKey));
    }
}
