using System.Security.Cryptography;
using System.Text;
using PgBackup.Repository.Codecs;

namespace PgBackup.Tests.Unit.Repository;

/// <summary>JSON documents (manifest.json, repo.json, leases, drill reports) carry the SHA-256 of their own content.</summary>
public sealed class DocumentChecksumFacts
{
    private static readonly byte[] Lease = """{"host":"backup-1","processId":4242,"processStart":"2026-12-01T10:00:00+00:00","heartbeat":"2026-12-01T10:05:00+00:00"}"""u8.ToArray();

    [Fact]
    public void A_sealed_document_begins_with_the_sha256_of_the_document_without_it()
    {
        var sealedJson = DocumentChecksum.Seal(Lease);

        var text = Encoding.UTF8.GetString(sealedJson);
        Assert.StartsWith($"{{\"checksum\":\"{Convert.ToHexStringLower(SHA256.HashData(Lease))}\",\"host\":", text);
        var (content, checksummed) = DocumentChecksum.Open(sealedJson, DocumentKind.BackupLease);
        Assert.True(checksummed);
        Assert.Equal(Lease, content);
    }

    [Fact]
    public void Every_single_flipped_byte_of_a_sealed_document_is_refused()
    {
        var sealedJson = DocumentChecksum.Seal(Lease);

        var passed = new List<string>();
        for (var i = 0; i < sealedJson.Length; i++)
            foreach (var mask in new byte[] { 0x01, 0x02, 0x08, 0x20, 0x80 })
            {
                var damaged = (byte[])sealedJson.Clone();
                damaged[i] ^= mask;
                try
                {
                    DocumentChecksum.Open(damaged, DocumentKind.BackupLease);
                    passed.Add($"byte {i} ('{(char)sealedJson[i]}') ^ 0x{mask:X2}");
                }
                catch (InvalidDataException)
                {
                }
            }

        Assert.Empty(passed);
    }

    [Fact]
    public void A_document_written_before_checksums_reads_unchecked()
    {
        var (content, checksummed) = DocumentChecksum.Open(Lease, DocumentKind.BackupLease);

        Assert.False(checksummed);
        Assert.Equal(Lease, content);
    }

    /// <summary>Else a flip inside the checksum member's name would pass as "an older document".</summary>
    [Fact]
    public void A_document_without_a_checksum_that_does_not_begin_like_an_older_one_is_refused()
    {
        var e = Assert.Throws<InvalidDataException>(() => DocumentChecksum.Open("""{"checksun":"00","host":"h"}"""u8.ToArray(), DocumentKind.BackupLease));

        Assert.Contains("began with \"host\"", e.Message);
    }

    [Fact]
    public void A_flipped_digit_in_the_content_is_a_checksum_mismatch()
    {
        var sealedJson = DocumentChecksum.Seal(Lease);
        sealedJson[Array.IndexOf(sealedJson, (byte)'4', 79)] = (byte)'5'; // past the checksum member: processId 4242 -> 5242

        var e = Assert.Throws<InvalidDataException>(() => DocumentChecksum.Open(sealedJson, DocumentKind.BackupLease));

        Assert.Contains("its checksum field records", e.Message);
    }

    [Fact]
    public async Task A_document_sealed_as_it_is_serialized_is_the_document_sealed_whole()
    {
        var destination = new MemoryStream();

        // In pieces, the brace alone first, as a serializer's flushes may cut it.
        await DocumentChecksum.SealAsync(async (s, t) =>
        {
            await s.WriteAsync(Lease.AsMemory(0, 1), t);
            await s.WriteAsync(Lease.AsMemory(1, 20), t);
            s.Write(Lease, 21, Lease.Length - 21);
        }, destination, CancellationToken.None);

        Assert.Equal(DocumentChecksum.Seal(Lease), destination.ToArray());
    }

    [Fact]
    public async Task Only_an_object_with_members_can_be_sealed_as_it_is_serialized()
    {
        foreach (var empty in new[] { "{ }", "{", "[1]" })
            await Assert.ThrowsAsync<ArgumentException>(() =>
                DocumentChecksum.SealAsync((s, t) => s.WriteAsync(Encoding.UTF8.GetBytes(empty), t).AsTask(), new MemoryStream(), CancellationToken.None));
    }
}
