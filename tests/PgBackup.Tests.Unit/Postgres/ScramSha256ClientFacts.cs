using PgBackup.Postgres.Replication.Internal;

namespace PgBackup.Tests.Unit.Postgres;

/// <summary>The SCRAM-SHA-256 exchange of RFC 7677 section 3, byte for byte.</summary>
public class ScramSha256ClientFacts
{
    private const string ServerFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";

    private static ScramSha256Client RfcClient() => new("pencil", "user", "rOprNGfwEbeRWgbNEkqO");

    [Fact]
    public void Produces_the_rfc_7677_client_messages()
    {
        var client = RfcClient();
        Assert.Equal("n,,n=user,r=rOprNGfwEbeRWgbNEkqO", client.ClientFirstMessage);
        Assert.Equal(
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
            client.ClientFinalMessage(ServerFirst));
    }

    [Fact]
    public void Accepts_the_rfc_7677_server_signature()
    {
        var client = RfcClient();
        client.ClientFinalMessage(ServerFirst);
        client.VerifyServerFinal("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    }

    [Fact]
    public void Rejects_a_server_that_does_not_know_the_password()
    {
        var client = RfcClient();
        client.ClientFinalMessage(ServerFirst);
        var e = Assert.Throws<AuthenticationProtocolException>(() => client.VerifyServerFinal("v=AAAATRBi23WpRR/wtup+mMhUq5fZ7pM/Yn68bA0iJzQ="));
        Assert.Contains("signature", e.Message);
    }

    [Theory]
    [InlineData("r=someoneElsesNonce,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")]
    [InlineData("r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")] // server added nothing
    [InlineData("r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0")]
    [InlineData("r=rOprNGfwEbeRWgbNEkqOxyz,i=4096")]
    public void Rejects_a_bad_server_first_message(string serverFirst) =>
        Assert.Throws<AuthenticationProtocolException>(() => RfcClient().ClientFinalMessage(serverFirst));

    [Fact]
    public void Sends_an_empty_user_and_a_fresh_nonce_by_default_like_libpq()
    {
        var first = new ScramSha256Client("pw").ClientFirstMessage;
        Assert.StartsWith("n,,n=,r=", first);
        Assert.NotEqual(first, new ScramSha256Client("pw").ClientFirstMessage);
    }
}
