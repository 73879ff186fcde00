using System.Buffers.Binary;
using System.Security.Cryptography;

namespace PgBackup.Repository.Codecs;

/// <summary>
/// The encrypted form of one stored unit (a pack chunk, or a whole object such as a WAL segment):
/// a random salt, then AES-256-GCM blocks under a key derived from the repository key and that salt.
/// Block <c>i</c> uses nonce <c>i</c> and carries a final-block flag as associated data, so blocks
/// cannot be reordered, dropped from the end or appended to without the tag check failing.
/// </summary>
/// <remarks>
/// <code>
/// unit  = salt[16] block+          a chunk is exactly one block, of any length
/// block = ciphertext tag[16]       whole objects: BlockSize plain bytes per block, the last one shorter (or empty)
/// </code>
/// A fresh key per unit lets counters serve as nonces: no nonce can repeat under one key, however
/// many objects a repository holds (random 96-bit nonces under one key would cap that at 2^32).
/// </remarks>
internal static class SealedBlocks
{
    public const int SaltLength = 16;
    public const int TagLength = 16;
    public const int NonceLength = 12;

    /// <summary>Plain bytes per block of a whole object: the memory a stream needs, whatever the object's size.</summary>
    public const int BlockSize = 1 << 20;

    /// <summary>What encryption adds to a one-block unit such as a chunk.</summary>
    public const int UnitOverhead = SaltLength + TagLength;

    /// <summary>Fills <paramref name="salt"/> with fresh random bytes and returns the cipher of that new unit.</summary>
    public static AesGcm NewUnit(EncryptionKey key, Span<byte> salt)
    {
        RandomNumberGenerator.Fill(salt);
        return key.CipherFor(salt);
    }

    /// <summary>
    /// Encrypts block <paramref name="index"/> into <paramref name="sealedBlock"/> (ciphertext then
    /// tag, <paramref name="plain"/>.Length + <see cref="TagLength"/> bytes). In place is allowed:
    /// <paramref name="plain"/> may be exactly the start of <paramref name="sealedBlock"/>.
    /// </summary>
    public static void Seal(AesGcm cipher, long index, bool final, ReadOnlySpan<byte> plain, Span<byte> sealedBlock)
    {
        Span<byte> nonce = stackalloc byte[NonceLength];
        Nonce(index, nonce);
        cipher.Encrypt(nonce, plain, sealedBlock[..plain.Length], sealedBlock.Slice(plain.Length, TagLength), FinalFlag(final));
    }

    /// <summary>Decrypts and authenticates block <paramref name="index"/> into the first <c>sealedBlock.Length - TagLength</c> bytes of <paramref name="plain"/>.</summary>
    /// <exception cref="DecryptionFailedException">Wrong key, or the block was modified, moved, truncated or is not the block it claims to be.</exception>
    public static void Open(AesGcm cipher, long index, bool final, ReadOnlySpan<byte> sealedBlock, Span<byte> plain)
    {
        if (sealedBlock.Length < TagLength)
            throw new DecryptionFailedException();
        Span<byte> nonce = stackalloc byte[NonceLength];
        Nonce(index, nonce);
        var length = sealedBlock.Length - TagLength;
        try
        {
            cipher.Decrypt(nonce, sealedBlock[..length], sealedBlock[length..], plain[..length], FinalFlag(final));
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new DecryptionFailedException(e);
        }
    }

    /// <summary>
    /// Seals <paramref name="unit"/> in place as a one-block unit: it holds room for the salt, then
    /// the plain bytes, then room for the tag.
    /// </summary>
    public static void SealUnit(EncryptionKey key, Span<byte> unit)
    {
        using var cipher = NewUnit(key, unit[..SaltLength]);
        var body = unit[SaltLength..];
        Seal(cipher, 0, final: true, body[..^TagLength], body);
    }

    /// <summary>Opens a one-block unit into <paramref name="plain"/>, which must be <c>unit.Length - UnitOverhead</c> bytes.</summary>
    /// <exception cref="DecryptionFailedException">Wrong key, or the unit was modified or truncated.</exception>
    public static void OpenUnit(EncryptionKey key, ReadOnlySpan<byte> unit, Span<byte> plain)
    {
        if (unit.Length < UnitOverhead)
            throw new DecryptionFailedException();
        using var cipher = key.CipherFor(unit[..SaltLength]);
        Open(cipher, 0, final: true, unit[SaltLength..], plain);
    }

    private static void Nonce(long index, Span<byte> nonce)
    {
        nonce[..4].Clear();
        BinaryPrimitives.WriteInt64BigEndian(nonce[4..], index);
    }

    private static ReadOnlySpan<byte> FinalFlag(bool final) => final ? [1] : [0];
}
