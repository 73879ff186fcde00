using Amazon.Runtime;
using PgBackup.Errors;

using PgBackup.IO;

namespace PgBackup.Repository.Storage;

/// <summary>
/// The body of a GET. The SDK checks a whole object's checksum only once its last byte is read,
/// and throws its own exception type there: this turns that into the repository error that names
/// the object, like every other storage fault, with the damage as an <see cref="InvalidDataException"/>
/// inside, as the codecs report theirs. Against an S3-compatible store without atomic overwrites
/// (s3rver) a GET that races a PUT of the same key also ends here.
/// </summary>
internal sealed class S3ReadStream(Stream body, string key, string store) : ForwardReadStream
{
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonClientException e)
        {
            throw new RepositoryException($"object '{key}' in {store} does not match its stored checksum ({e.Message}): the object is damaged",
                new InvalidDataException(e.Message, e));
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) body.Dispose();
        base.Dispose(disposing);
    }
}
