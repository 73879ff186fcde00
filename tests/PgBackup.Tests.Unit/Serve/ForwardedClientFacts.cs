using System.Net;
using PgBackup.Cli.Serve.Security;
using PgBackup.Errors;

namespace PgBackup.Tests.Unit.Serve;

public sealed class ForwardedClientFacts
{
    private static readonly IPAddress Loopback = IPAddress.Loopback;
    private static readonly TrustedProxies LocalProxy = TrustedProxies.Parse(["127.0.0.1", "10.1.0.0/16"]);

    private static IPAddress? Resolve(IPAddress? peer, string? forwarded = null, string? xff = null, string? realIp = null, TrustedProxies? proxies = null) =>
        ForwardedClient.Resolve(peer, forwarded, xff, realIp, proxies ?? TrustedProxies.None);

    [Fact]
    public void Without_forwarding_headers_the_caller_is_the_peer()
    {
        Assert.Equal(Loopback, Resolve(Loopback));
        Assert.Equal(IPAddress.Parse("127.0.0.1"), Resolve(IPAddress.Parse("::ffff:127.0.0.1")));
    }

    [Theory]
    [InlineData("203.0.113.7, 127.0.0.1", null, null)]
    [InlineData("127.0.0.1", null, null)]
    [InlineData(null, "for=127.0.0.1", null)]
    [InlineData(null, null, "127.0.0.1")]
    public void Without_trusted_proxies_any_forwarding_header_makes_the_caller_unknown(string? xff, string? forwarded, string? realIp) =>
        Assert.Null(Resolve(Loopback, forwarded, xff, realIp));

    [Fact]
    public void Headers_from_a_peer_that_is_not_a_trusted_proxy_make_the_caller_unknown() =>
        Assert.Null(Resolve(IPAddress.Parse("127.0.0.2"), xff: "127.0.0.1", proxies: LocalProxy));

    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("203.0.113.7, 127.0.0.1", "203.0.113.7")]
    [InlineData("127.0.0.1, 203.0.113.7", "203.0.113.7")]
    [InlineData("127.0.0.1, 198.51.100.2, 10.1.4.4", "198.51.100.2")]
    [InlineData("203.0.113.7:5123", "203.0.113.7")]
    [InlineData("[2001:db8::17]:4711", "2001:db8::17")]
    [InlineData("2001:db8::17", "2001:db8::17")]
    [InlineData("10.1.0.9, 127.0.0.1", "10.1.0.9")]
    public void Behind_a_trusted_proxy_the_client_is_the_right_most_untrusted_hop_of_x_forwarded_for(string xff, string client) =>
        Assert.Equal(IPAddress.Parse(client), Resolve(Loopback, xff: xff, proxies: LocalProxy));

    [Theory]
    [InlineData("for=203.0.113.7", "203.0.113.7")]
    [InlineData("For=\"203.0.113.7:4711\";proto=https;by=127.0.0.1", "203.0.113.7")]
    [InlineData("for=\"[2001:db8:cafe::17]:4711\"", "2001:db8:cafe::17")]
    [InlineData("for=127.0.0.1, for=198.51.100.2;proto=http", "198.51.100.2")]
    [InlineData("for=198.51.100.2, for=10.1.2.3", "198.51.100.2")]
    public void Behind_a_trusted_proxy_rfc_7239_forwarded_for_is_honoured(string forwarded, string client) =>
        Assert.Equal(IPAddress.Parse(client), Resolve(Loopback, forwarded: forwarded, proxies: LocalProxy));

    [Theory]
    [InlineData("for=unknown")]
    [InlineData("for=_hidden")]
    [InlineData("proto=https")]
    [InlineData("for=198.51.100.2, proto=https")]
    public void An_unknown_or_obfuscated_hop_makes_the_caller_unknown(string forwarded) =>
        Assert.Null(Resolve(Loopback, forwarded: forwarded, proxies: LocalProxy));

    [Fact]
    public void X_real_ip_is_honoured_behind_a_trusted_proxy() =>
        Assert.Equal(IPAddress.Parse("203.0.113.7"), Resolve(Loopback, realIp: "203.0.113.7", proxies: LocalProxy));

    [Fact]
    public void Headers_that_name_different_clients_make_the_caller_unknown()
    {
        // The proxy appended the real client to X-Forwarded-For; the client wrote Forwarded itself.
        Assert.Null(Resolve(Loopback, forwarded: "for=127.0.0.1", xff: "203.0.113.7", proxies: LocalProxy));
        Assert.Equal(IPAddress.Parse("203.0.113.7"), Resolve(Loopback, xff: "203.0.113.7", realIp: "203.0.113.7", proxies: LocalProxy));
    }

    [Fact]
    public void A_request_that_started_at_a_trusted_proxy_is_that_proxy() =>
        Assert.Equal(Loopback, Resolve(Loopback, xff: "127.0.0.1", proxies: LocalProxy));

    [Fact]
    public void No_peer_address_is_an_unknown_caller() => Assert.Null(Resolve(null));

    [Theory]
    [InlineData("not-an-ip")]
    [InlineData("10.0.0.0/33")]
    public void A_trusted_proxy_that_is_not_an_address_or_network_is_a_usage_error(string value)
    {
        var e = Assert.Throws<UsageException>(() => TrustedProxies.Parse([value]));
        Assert.StartsWith($"--trusted-proxies '{value}' is not", e.Message);
    }

    [Fact]
    public void Trusted_proxies_are_addresses_or_networks_listed_with_commas()
    {
        var proxies = TrustedProxies.Parse(["127.0.0.1,10.0.0.0/8", "fd00::/8"]);
        Assert.True(proxies.Contains(IPAddress.Parse("10.200.0.1")));
        Assert.True(proxies.Contains(IPAddress.Parse("::ffff:127.0.0.1")));
        Assert.True(proxies.Contains(IPAddress.Parse("fd12::1")));
        Assert.False(proxies.Contains(IPAddress.Parse("127.0.0.2")));
    }
}
