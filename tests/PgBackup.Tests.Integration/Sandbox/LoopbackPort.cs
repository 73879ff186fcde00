using System.Net;
using System.Net.Sockets;

namespace PgBackup.Tests.Integration.Sandbox;

public static class LoopbackPort
{
    /// <summary>A loopback port nothing listens on: bound by us, then released.</summary>
    public static int Closed()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
