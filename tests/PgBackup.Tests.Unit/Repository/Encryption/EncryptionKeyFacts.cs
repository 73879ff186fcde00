using PgBackup.Repository.Codecs;

namespace PgBackup.Tests.Unit.Repository.Encryption;

public sealed class EncryptionKeyFacts
{
    [Fact]
    public void Hex_and_base64_of_the_same_bytes_are_the_same_key()
    {
        var bytes = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

        var hex = EncryptionKey.TryParse(Convert.ToHexStringLower(bytes) + "\n", "env K")!;
        var base64 = EncryptionKey.TryParse("  " + Convert.ToBase64String(bytes), "file k")!;

        Assert.Equal(hex.KeyCheck, base64.KeyCheck);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e")] // 31 bytes
    [InlineData("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20")] // 33 bytes
    [InlineData("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==")] // base64 of 31 bytes
    [InlineData("correct horse battery staple correct horse battery staple 123456")]
    public void Anything_but_256_bits_is_refused(string text) => Assert.Null(EncryptionKey.TryParse(text, "test"));

    [Fact]
    public void A_key_renders_as_its_origin_only()
    {
        var text = new string('c', 64);
        var key = EncryptionKey.TryParse(text, "env PGBACKUP_KEY")!;

        Assert.Equal("<encryption key from env PGBACKUP_KEY>", key.ToString());
        Assert.DoesNotContain(text, key.KeyCheck);
    }

    [Fact]
    public void Different_keys_have_different_key_checks() =>
        Assert.NotEqual(EncryptionSamples.Key.KeyCheck, EncryptionSamples.OtherKey.KeyCheck);
}
