using System.Net;
using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Serve;

/// <summary>
/// `serve` checks every address it will bind, however --urls lists them, and believes
/// forwarding headers only from the proxies it is told to trust. Ports 18500-18599 are this suite's.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class ServeAccessFacts(SandboxFixture fixture)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Theory]
    [InlineData("http://127.0.0.1:18510;http://0.0.0.0:18511")]
    [InlineData("http://127.0.0.1:18510,http://[::]:18511")]
    [InlineData("http://localhost:18510;http://*:18511")]
    public async Task A_joined_url_list_with_a_non_loopback_address_and_no_token_is_refused_with_one_line(string urls)
    {
        using var policies = new ServePolicies(fixture.Endpoints);
        await using var refused = ServeProcess.Start(["--policies", policies.Directory, "--urls", urls, "--storage", "sqlite:" + policies.StoragePath]);

        Assert.Equal(2, await refused.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var line = Assert.Single(refused.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("error: listening on http://", line);
        Assert.Contains(":18511 (not loopback) needs authentication", line);
    }

    [Fact]
    public async Task Without_trusted_proxies_a_loopback_caller_that_sends_forwarding_headers_is_refused()
    {
        using var policies = new ServePolicies(fixture.Endpoints);
        await using var serve = ServeProcess.Start(
            ["--policies", policies.Directory, "--urls", "http://127.0.0.1:18512", "--storage", "sqlite:" + policies.StoragePath], port: 18512);
        await serve.WaitHealthyAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(serve, null, null));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(serve, "X-Forwarded-For", "203.0.113.7, 127.0.0.1"));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(serve, "X-Forwarded-For", "127.0.0.1"));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(serve, "Forwarded", "for=127.0.0.1"));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(serve, "X-Real-IP", "127.0.0.1"));
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_the_right_most_untrusted_hop_decides()
    {
        using var policies = new ServePolicies(fixture.Endpoints);
        await using var serve = ServeProcess.Start(
            ["--policies", policies.Directory, "--urls", "http://127.0.0.1:18513", "--trusted-proxies", "127.0.0.1", "--storage", "sqlite:" + policies.StoragePath], port: 18513);
        await serve.WaitHealthyAsync(TimeSpan.FromSeconds(60));

        // A client's own "127.0.0.1" to the left of what the proxy appended changes nothing.
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(serve, "X-Forwarded-For", "127.0.0.1, 203.0.113.7"));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(serve, "Forwarded", "for=127.0.0.1, for=\"203.0.113.7:4711\""));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(serve, "Forwarded", "for=\"[2001:db8::17]\""));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(serve, "X-Forwarded-For", "127.0.0.1"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(serve, "Forwarded", "for=127.0.0.1;proto=https"));
    }

    private static async Task<HttpStatusCode> StatusAsync(ServeProcess serve, string? header, string? value)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, serve.BaseUrl + "/api/status");
        if (header is not null) request.Headers.TryAddWithoutValidation(header, value);
        using var response = await Http.SendAsync(request);
        return response.StatusCode;
    }
}
