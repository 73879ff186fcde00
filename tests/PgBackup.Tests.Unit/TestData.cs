namespace PgBackup.Tests.Unit;

/// <summary>Finds captured samples in the source tree, so test data stays reviewable next to the tests.</summary>
internal static class TestData
{
    public static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "PgBackup.sln"))) dir = Path.GetDirectoryName(dir)!;
        return dir;
    }

    public static string Read(params string[] relative) =>
        File.ReadAllText(Path.Combine([RepoRoot(), "tests", "PgBackup.Tests.Unit", .. relative]));

    public static byte[] ReadBytes(params string[] relative) =>
        File.ReadAllBytes(Path.Combine([RepoRoot(), "tests", "PgBackup.Tests.Unit", .. relative]));

    /// <summary>A sample kept gzip -9 (binary files that compress well), decompressed.</summary>
    public static byte[] ReadGzipped(params string[] relative)
    {
        using var gzip = new System.IO.Compression.GZipStream(new MemoryStream(ReadBytes(relative)), System.IO.Compression.CompressionMode.Decompress);
        using var plain = new MemoryStream();
        gzip.CopyTo(plain);
        return plain.ToArray();
    }
}
