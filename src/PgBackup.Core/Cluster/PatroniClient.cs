using System.Net.Http.Headers;
using System.Net.Security;
using System.Text;
using Microsoft.Extensions.Logging;
using PgBackup.Errors;
using PgBackup.IO;
using PgBackup.Policies;

namespace PgBackup.Cluster;

/// <summary>
/// Reads GET /cluster from the first Patroni URL that answers. Any member's API describes the
/// whole cluster, so one answer is enough; dead members are exactly why we try several.
/// </summary>
public sealed class PatroniClient : IDisposable
{
    private readonly PatroniSettings _settings;
    private readonly HttpClient _http;
    private readonly ILogger _log;

    public PatroniClient(PatroniSettings settings, ILogger log)
    {
        _settings = settings;
        _log = log;
        var handler = new SocketsHttpHandler { ConnectTimeout = settings.Timeout };
        if (settings.CaFile is not null)
        {
            var roots = CustomRootTrust.Load(settings.CaFile);
            handler.SslOptions.RemoteCertificateValidationCallback = (sender, cert, _, errors) =>
                CustomRootTrust.Problem(cert, errors, roots, settings.CaFile, (sender as SslStream)?.TargetHostName ?? "") is null;
        }
        _http = new HttpClient(handler) { Timeout = settings.Timeout };
        if (settings.Username is not null)
        {
            var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.Username}:{settings.Password?.Reveal()}"));
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", token);
        }
    }

    public async Task<ClusterState> GetClusterAsync(CancellationToken ct)
    {
        var failures = new List<string>();
        foreach (var baseUrl in _settings.Urls)
        {
            var url = new Uri(baseUrl, "cluster");
            try
            {
                using var response = await _http.GetAsync(url, ct).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    failures.Add($"{baseUrl} answered HTTP {(int)response.StatusCode}");
                    continue;
                }
                var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                return PatroniClusterParser.Parse(body, baseUrl);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                var why = e is TaskCanceledException ? $"no answer within {_settings.Timeout.TotalSeconds:0.#}s" : e.Message;
                _log.LogDebug("Patroni {Url} unreachable: {Reason}", baseUrl, why);
                failures.Add($"{baseUrl}: {why}");
            }
        }
        throw new SourceUnavailableException(
            $"no Patroni REST API answered ({string.Join("; ", failures)}); check patroni.urls in the policy and that Patroni runs");
    }

    public void Dispose() => _http.Dispose();
}
