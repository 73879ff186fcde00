using System.Security.Cryptography;
using PgBackup.Errors;

namespace PgBackup.Repository.Codecs;

/// <summary>
/// Stored bytes failed AES-GCM authentication. Nothing of the failing block was released, so a
/// reader sees this error instead of wrong bytes. The key and a modification cannot be told apart.
/// </summary>
public sealed class DecryptionFailedException(Exception? inner = null)
    : CryptographicException("wrong encryption key or the object was modified", inner)
{
    /// <summary>The user-facing error for <paramref name="what"/> (an object, or a chunk of one, with its store).</summary>
    public RepositoryException For(string what) =>
        new($"cannot decrypt {what}: {Message}; check repository.encryption_key_env/_file in the policy, and if the key is right, restore the object from another copy", this);
}
