using System.Net;
using System.Text;
using PgBackup.Cli.Serve.Security;

namespace PgBackup.Tests.Unit.Serve;

public sealed class AccessRuleFacts
{
    private const string Token = "0123456789abcdef0123";

    [Fact]
    public void Without_a_token_a_loopback_caller_is_allowed()
    {
        Assert.Equal(AccessDecision.Allow, AccessRule.Decide(null, IPAddress.Loopback, null));
        Assert.Equal(AccessDecision.Allow, AccessRule.Decide(null, IPAddress.IPv6Loopback, null));
    }

    [Fact]
    public void Without_a_token_a_caller_forwarded_from_elsewhere_is_challenged()
    {
        Assert.Equal(AccessDecision.Challenge, AccessRule.Decide(null, IPAddress.Parse("203.0.113.5"), null));
        Assert.Equal(AccessDecision.Challenge, AccessRule.Decide(null, null, null));
    }

    [Fact]
    public void With_a_token_even_a_loopback_caller_must_present_it()
    {
        Assert.Equal(AccessDecision.Challenge, AccessRule.Decide(Token, IPAddress.Loopback, null));
        Assert.Equal(AccessDecision.Challenge, AccessRule.Decide(Token, IPAddress.Loopback, "Bearer wrong-token-of-some-length"));
        Assert.Equal(AccessDecision.Allow, AccessRule.Decide(Token, IPAddress.Parse("203.0.113.5"), "Bearer " + Token));
    }

    [Fact]
    public void The_token_is_accepted_as_the_basic_auth_password_with_any_user()
    {
        static string Basic(string pair) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(pair));
        Assert.Equal(AccessDecision.Allow, AccessRule.Decide(Token, IPAddress.Loopback, Basic("oncall:" + Token)));
        Assert.Equal(AccessDecision.Challenge, AccessRule.Decide(Token, IPAddress.Loopback, Basic(Token + ":x")));
        Assert.Equal(AccessDecision.Challenge, AccessRule.Decide(Token, IPAddress.Loopback, "Basic not-base64!"));
    }
}
