using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using PgBackup.Cluster;
using PgBackup.Errors;
using PgBackup.Policies;

namespace PgBackup.Tests.Unit.Cluster;

public sealed class PatroniClientFacts
{
    private static int ClosedPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static PatroniClient Client(params string[] urls) =>
        new(new PatroniSettings(urls.Select(u => new Uri(u)).ToList(), null, null, null, TimeSpan.FromSeconds(1)), NullLogger.Instance);

    [Fact]
    public async Task No_answering_url_is_a_source_error_naming_every_url()
    {
        var a = ClosedPort();
        var b = ClosedPort();
        using var client = Client($"http://127.0.0.1:{a}/", $"http://127.0.0.1:{b}/");
        var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => client.GetClusterAsync(CancellationToken.None));
        Assert.Contains($"127.0.0.1:{a}", e.Message);
        Assert.Contains($"127.0.0.1:{b}", e.Message);
        Assert.Equal(3, e.ExitCode);
    }

    [Fact]
    public async Task A_dead_url_is_skipped_for_the_next_one()
    {
        using var server = new OneShotHttpServer(TestData.Read("Cluster", "Samples", "healthy.json"));
        using var client = Client($"http://127.0.0.1:{ClosedPort()}/", server.Url);
        var cluster = await client.GetClusterAsync(CancellationToken.None);
        Assert.Equal(3, cluster.Members.Count);
        Assert.Equal(new Uri(server.Url), cluster.AnsweredBy);
    }

    [Fact]
    public async Task A_server_that_never_answers_times_out()
    {
        var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        try
        {
            using var client = Client($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/");
            var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => client.GetClusterAsync(CancellationToken.None));
            Assert.Contains("no answer within 1s", e.Message);
        }
        finally { silent.Stop(); }
    }

    /// <summary>Answers one HTTP request with a fixed body: just enough server to test the client's fallbacks.</summary>
    private sealed class OneShotHttpServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

        public OneShotHttpServer(string body)
        {
            _listener.Start();
            _ = Task.Run(async () =>
            {
                using var socket = await _listener.AcceptSocketAsync();
                var buffer = new byte[8192];
                await socket.ReceiveAsync(buffer);
                var payload = Encoding.UTF8.GetBytes(body);
                var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {payload.Length}\r\nConnection: close\r\n\r\n");
                await socket.SendAsync(head.Concat(payload).ToArray());
                socket.Shutdown(SocketShutdown.Both);
            });
        }

        public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/";

        public void Dispose() => _listener.Stop();
    }
}
