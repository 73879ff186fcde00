using PgBackup.Postgres;

namespace PgBackup.Tests.Unit.Postgres;

public class ServerSettingFacts
{
    [Theory]
    [InlineData("16MB", 16L << 20)] // SHOW wal_segment_size on a default cluster
    [InlineData("1GB", 1L << 30)]
    [InlineData("8kB", 8192L)]
    [InlineData("512B", 512L)]
    [InlineData("2TB", 2L << 40)]
    [InlineData("-1", -1L)]
    [InlineData("4096", 4096L)]
    public void Parses_sizes_as_SHOW_prints_them(string text, long bytes) => Assert.Equal(bytes, ServerSetting.ParseBytes(text));

    [Theory]
    [InlineData("16 MiB")]
    [InlineData("16mb")]
    [InlineData("MB")]
    [InlineData("")]
    public void Rejects_other_units(string text) => Assert.Throws<FormatException>(() => ServerSetting.ParseBytes(text));
}
