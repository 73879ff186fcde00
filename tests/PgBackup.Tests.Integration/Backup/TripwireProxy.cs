using PgBackup.Tests.Integration.Sandbox;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PgBackup.Tests.Integration.Backup;

/// <summary>
/// A TCP proxy in front of s3rver that fires once when a request naming <c>pattern</c> (an
/// object path such as "/data/000002.pack") starts to pass, BEFORE forwarding it: the action (a
/// kill -9) runs while the request has not reached the store, so the test knows exactly what is
/// stored — everything before that request, nothing of it. Afterwards it forwards nothing more.
/// With a method, only a request line of that method naming the pattern trips (a GET of the same
/// path passes).
/// </summary>
public sealed class TripwireProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _upstream;
    private readonly byte[] _pattern;
    private readonly byte[]? _method;
    private readonly Action _onTrip;
    private readonly TaskCompletionSource _tripped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly object _tripLock = new();

    public TripwireProxy(string upstreamUrl, string pattern, Action onTrip, string? method = null)
    {
        _upstream = new Uri(upstreamUrl);
        _pattern = Encoding.ASCII.GetBytes(pattern);
        _method = method is null ? null : Encoding.ASCII.GetBytes(method + " ");
        _onTrip = onTrip;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Completes once the pattern was seen and the action ran.</summary>
    public Task Tripped => _tripped.Task;

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = RelayAsync(client);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using var _ = client;
        using var upstream = new TcpClient();
        try
        {
            await upstream.ConnectAsync(_upstream.Host, _upstream.Port, _stop.Token);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            var down = upstream.GetStream().CopyToAsync(client.GetStream(), linked.Token);
            var up = ForwardWatchingAsync(client.GetStream(), upstream.GetStream(), linked.Token);
            await Task.WhenAny(down, up);
            await linked.CancelAsync();
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // the client (killed) or the proxy (disposed) went away
        }
    }

    private async Task ForwardWatchingAsync(NetworkStream from, NetworkStream to, CancellationToken ct)
    {
        var buffer = new byte[(1 << 16) + _pattern.Length];
        var carried = 0; // the previous read's last bytes, so a pattern split across reads is still seen
        while (true)
        {
            var n = await from.ReadAsync(buffer.AsMemory(carried, 1 << 16), ct);
            if (n == 0) return;
            var length = carried + n;
            if (_tripped.Task.IsCompleted || Names(buffer.AsSpan(0, length)))
            {
                Trip();
                return;
            }
            await to.WriteAsync(buffer.AsMemory(carried, n), ct);
            carried = Math.Min(_pattern.Length - 1, length);
            buffer.AsSpan(length - carried, carried).CopyTo(buffer);
        }
    }

    private bool Names(ReadOnlySpan<byte> data)
    {
        var at = data.IndexOf(_pattern);
        if (at < 0 || _method is null) return at >= 0;
        // A request line is "METHOD PATH HTTP/1.1" and a path has no space: the method ends at the last space before the
        // match. (With keep-alive the line may follow a binary body directly, so a preceding newline proves nothing.)
        var space = data[..at].LastIndexOf((byte)' ');
        return space + 1 >= _method.Length && data[(space + 1 - _method.Length)..(space + 1)].SequenceEqual(_method);
    }

    private void Trip()
    {
        lock (_tripLock)
        {
            if (_tripped.Task.IsCompleted) return;
            // Tripped first: the action ends the victim, and whoever waits on both must see the trip as the cause.
            _tripped.SetResult();
        }
        _onTrip();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
