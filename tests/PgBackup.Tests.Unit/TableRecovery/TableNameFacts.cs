using PgBackup.Errors;
using PgBackup.TableRecovery;

namespace PgBackup.Tests.Unit.TableRecovery;

public sealed class TableNameFacts
{
    [Theory]
    [InlineData("orders", "public", "orders")]
    [InlineData("Sales.Orders", "sales", "orders")]
    [InlineData("\"Sales\".\"Orders\"", "Sales", "Orders")]
    [InlineData("\"a.b\".\"say \"\"hi\"\"\"", "a.b", "say \"hi\"")]
    [InlineData("s1.t$2", "s1", "t$2")]
    public void Parses_like_sql_identifiers(string text, string schema, string name) =>
        Assert.Equal(new TableName(schema, name), TableName.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("a.b.c")]
    [InlineData("1orders")]
    [InlineData("orders;drop")]
    [InlineData("\"open")]
    [InlineData("\"\"")]
    [InlineData("public.")]
    public void Refuses_what_is_not_a_table_name(string text)
    {
        var e = Assert.Throws<UsageException>(() => TableName.Parse(text));
        Assert.StartsWith($"--table '{text}' is not a table name", e.Message);
    }

    [Fact]
    public void Refuses_a_name_longer_than_postgres_keeps() =>
        Assert.Throws<UsageException>(() => TableName.Parse(new string('a', 64)));

    [Fact]
    public void Quotes_every_part_for_sql() =>
        Assert.Equal("\"Sales\".\"say \"\"hi\"\"\"", new TableName("Sales", "say \"hi\"").Sql);

    [Fact]
    public void A_pattern_puts_each_table_name_in_place_of_the_star_in_its_own_schema()
    {
        var pattern = TableName.ParsePattern("Recovered_*", 2);
        Assert.Equal(new TableName("sales", "recovered_orders"), new TableName("sales", "orders").Renamed(pattern));
        Assert.Equal(new TableName("sales", "orders"), new TableName("sales", "orders").Renamed(null));
    }

    [Fact]
    public void A_pattern_without_a_star_names_one_table_only()
    {
        Assert.Equal("orders_old", TableName.ParsePattern("orders_old", 1));
        Assert.Contains("would give 2 tables one name", Assert.Throws<UsageException>(() => TableName.ParsePattern("orders_old", 2)).Message);
        Assert.Contains("is not a table name or pattern", Assert.Throws<UsageException>(() => TableName.ParsePattern("x; drop", 1)).Message);
    }
}
