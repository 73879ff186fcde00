using PgBackup.Policies;

namespace PgBackup.Tests.Unit.Policies;

public sealed class KeySuggestionFacts
{
    private static readonly string[] S3Keys = ["bucket", "prefix", "endpoint", "region", "force_path_style", "s3_compatible", "access_key_env", "secret_key_env"];

    [Theory]
    [InlineData("bukket", "bucket")]
    [InlineData("bucekt", "bucket")]
    [InlineData("Bucket", "bucket")]
    [InlineData("regoin", "region")]
    [InlineData("acess_key_env", "access_key_env")]
    [InlineData("forcepathstyle", "force_path_style")]
    public void A_typo_suggests_the_key_it_meant(string typo, string meant) =>
        Assert.Equal(meant, KeySuggestion.Closest(typo, S3Keys));

    [Theory]
    [InlineData("colour")]
    [InlineData("path")]
    [InlineData("x")]
    public void A_key_unlike_every_known_key_suggests_nothing(string unknown) =>
        Assert.Null(KeySuggestion.Closest(unknown, S3Keys));

    [Theory]
    [InlineData("bucket", "bucket", 0)]
    [InlineData("bukket", "bucket", 1)]
    [InlineData("bucekt", "bucket", 1)]
    [InlineData("", "abc", 3)]
    [InlineData("type", "path", 4)]
    public void Distance_counts_edits_with_a_transposition_as_one(string a, string b, int distance) =>
        Assert.Equal(distance, KeySuggestion.Distance(a, b));
}
