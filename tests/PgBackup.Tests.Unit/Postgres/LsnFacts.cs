using PgBackup.Postgres;

namespace PgBackup.Tests.Unit.Postgres;

public class LsnFacts
{
    [Theory]
    [InlineData("0/3000028", 0x3000028UL)]
    [InlineData("16/B374D848", 0x16_B374_D848UL)]
    [InlineData("FFFFFFFF/FFFFFFFF", ulong.MaxValue)]
    [InlineData("0/0", 0UL)]
    [InlineData("a/ff", 0xA_0000_00FFUL)] // PostgreSQL accepts lower case input
    public void Parses_the_X_slash_Y_hex_form(string text, ulong value) => Assert.Equal(value, Lsn.Parse(text).Value);

    [Theory]
    [InlineData(0x3000028UL, "0/3000028")]
    [InlineData(0x16_B374_D848UL, "16/B374D848")]
    [InlineData(0x1_0000_0000UL, "1/0")]
    public void Prints_upper_case_hex_without_padding_like_pg_lsn(ulong value, string text) => Assert.Equal(text, new Lsn(value).ToString());

    [Theory]
    [InlineData("")]
    [InlineData("3000028")]
    [InlineData("/1")]
    [InlineData("1/")]
    [InlineData("1/2/3")]
    [InlineData("123456789/0")]
    [InlineData("G/0")]
    [InlineData("-1/0")]
    public void Rejects_anything_else(string text)
    {
        Assert.False(Lsn.TryParse(text, out _));
        Assert.Throws<FormatException>(() => Lsn.Parse(text));
    }

    [Fact]
    public void Adds_bytes_and_measures_distance()
    {
        var start = Lsn.Parse("0/FFFFFFF0");
        var later = start + 0x20;
        Assert.Equal(Lsn.Parse("1/10"), later);
        Assert.Equal(0x20, later - start);
        Assert.Equal(-0x20, start - later);
        Assert.Equal(start, later - 0x20UL);
    }

    [Fact]
    public void Orders_by_position()
    {
        var a = Lsn.Parse("0/3000028");
        var b = Lsn.Parse("1/0");
        Assert.True(a < b && b > a && a <= b && b >= a && a <= Lsn.Parse("0/3000028"));
        Assert.Equal(-1, a.CompareTo(b));
        Assert.Equal(b, Lsn.Max(a, b));
    }

    [Fact]
    public void Zero_is_invalid() => Assert.False(Lsn.Invalid.IsValid);
}
