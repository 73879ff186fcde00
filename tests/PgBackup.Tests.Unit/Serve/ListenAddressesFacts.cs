using PgBackup.Cli.Serve.Security;
using PgBackup.Errors;

namespace PgBackup.Tests.Unit.Serve;

public sealed class ListenAddressesFacts
{
    [Theory]
    [InlineData("http://127.0.0.1:8080", true)]
    [InlineData("http://127.0.0.2:8080", true)]
    [InlineData("http://localhost:8080", true)]
    [InlineData("http://LOCALHOST:8080/", true)]
    [InlineData("http://[::1]:8080", true)]
    [InlineData("https://127.0.0.1", true)]
    [InlineData("http://0.0.0.0:8080", false)]
    [InlineData("http://*:8080", false)]
    [InlineData("http://+:8080", false)]
    [InlineData("http://[::]:8080", false)]
    [InlineData("http://10.0.0.5:8080", false)]
    [InlineData("http://backup.internal:8080", false)]
    [InlineData("http://localhost.example.com:8080", false)]
    public void Only_loopback_addresses_count_as_a_loopback_bind(string url, bool loopback) =>
        Assert.Equal(loopback, ListenAddresses.IsLoopback(url));

    [Theory]
    [InlineData("http://127.0.0.1:18779;http://0.0.0.0:18780")]
    [InlineData("http://127.0.0.1:18779,http://0.0.0.0:18780")]
    [InlineData(" http://127.0.0.1:18779 ; http://0.0.0.0:18780 ;")]
    public void Every_address_of_a_joined_list_is_its_own_url(string value)
    {
        var urls = ListenAddresses.Parse([value]);
        Assert.Equal(["http://127.0.0.1:18779", "http://0.0.0.0:18780"], urls);
        Assert.Contains(urls, u => !ListenAddresses.IsLoopback(u));
    }

    [Fact]
    public void Repeated_options_and_joined_lists_combine()
    {
        Assert.Equal(["http://127.0.0.1:1", "http://[::1]:2", "http://*:3"], ListenAddresses.Parse(["http://127.0.0.1:1", "http://[::1]:2;http://*:3"]));
    }

    [Theory]
    [InlineData("127.0.0.1:8080")]
    [InlineData("ftp://127.0.0.1:21")]
    [InlineData("http://")]
    [InlineData("http://[::1:8080")]
    [InlineData(";")]
    public void An_address_that_is_not_a_url_is_a_usage_error_naming_it(string value)
    {
        var e = Assert.Throws<UsageException>(() => ListenAddresses.Parse([value]));
        Assert.StartsWith("--urls ", e.Message);
    }
}
