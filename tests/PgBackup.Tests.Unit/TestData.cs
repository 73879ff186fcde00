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
}
