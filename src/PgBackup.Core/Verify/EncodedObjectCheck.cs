using PgBackup.Errors;
using PgBackup.Repository;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Storage;

namespace PgBackup.Verify;

/// <summary>
/// One encoded object checked on its own, with what it carries itself: it decodes (zstd frame
/// checksum; authentication when encrypted), its plain content matches its checksum trailer —
/// or it has none, written by an older version — and it has the length its kind must have.
/// </summary>
internal static class EncodedObjectCheck
{
    /// <param name="plainLength">The plain length the object must decode to; null when any length is right (history files).</param>
    /// <param name="mayVanish">The object may go away after it was listed (a partial segment, once its segment is complete): no fault then.</param>
    /// <returns>The decoded object, or null when it is missing or damaged (a fault says which).</returns>
    public static async Task<DecodedObject?> RunAsync(BackupRepository repository, string key, long? plainLength, bool mayVanish,
        Action<string, string> fault, Action<string> noChecksum, Action<long> bytesRead, CancellationToken ct)
    {
        try
        {
            var decoded = await repository.Store.GetDecodedAsync(key, repository.Codec, Stream.Null, ct).ConfigureAwait(false);
            bytesRead(decoded.PlainLength);
            if (decoded.Trailer == TrailerState.Absent) noChecksum(key);
            if (plainLength is { } expected && decoded.PlainLength != expected)
            {
                fault(key, $"decodes to {decoded.PlainLength} bytes, it must hold {expected}");
                return null;
            }
            return decoded;
        }
        catch (ObjectNotFoundException)
        {
            if (!mayVanish) fault(key, "missing from the repository (removed while verify ran?)");
        }
        catch (RepositoryException e)
        {
            fault(key, e.Message);
        }
        return null;
    }
}
