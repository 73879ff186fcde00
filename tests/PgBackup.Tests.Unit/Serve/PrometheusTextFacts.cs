using PgBackup.Cli.Serve.Metrics;

namespace PgBackup.Tests.Unit.Serve;

public sealed class PrometheusTextFacts
{
    [Fact]
    public void A_family_is_written_with_help_type_and_one_line_per_sample()
    {
        var text = new PrometheusText()
            .Family("pgbackup_backup_size_bytes", "gauge", "Size of the newest backup.",
                [Sample.Of(2048, ("cluster", "main"), ("kind", "database")), Sample.Of(512.5, ("cluster", "main"), ("kind", "stored"))])
            .ToString();

        Assert.Equal(
            "# HELP pgbackup_backup_size_bytes Size of the newest backup.\n" +
            "# TYPE pgbackup_backup_size_bytes gauge\n" +
            "pgbackup_backup_size_bytes{cluster=\"main\",kind=\"database\"} 2048\n" +
            "pgbackup_backup_size_bytes{cluster=\"main\",kind=\"stored\"} 512.5\n", text);
    }

    [Fact]
    public void Label_values_escape_backslash_quote_and_newline()
    {
        Assert.Equal("a\\\\b\\\"c\\nd", PrometheusText.EscapeLabel("a\\b\"c\nd"));
    }

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(1795800661.411, "1795800661.411")]
    [InlineData(0, "0")]
    public void Values_use_the_exposition_format_spelling(double value, string expected)
    {
        Assert.Equal(expected, PrometheusText.FormatValue(value));
    }

    [Fact]
    public void A_family_without_samples_is_left_out()
    {
        Assert.Equal("", new PrometheusText().Family("pgbackup_archiver_lag_bytes", "gauge", "Lag.", []).ToString());
    }
}
