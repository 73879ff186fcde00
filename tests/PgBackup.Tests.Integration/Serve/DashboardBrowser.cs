using System.Diagnostics;
using System.Text.Json;
using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Serve;

/// <summary>
/// A real headless browser on the dashboard: Debian's Chromium driven by playwright-core (installed
/// from npm into artifacts/browser on first use, git-ignored). Screenshots go to artifacts/serve/.
/// </summary>
public static class DashboardBrowser
{
    public const string Chromium = "/usr/bin/chromium";

    public sealed record Page(int Status, string Title, string Text, string Screenshot);

    public static async Task<Page> OpenAsync(string url, string screenshotName)
    {
        if (!File.Exists(Chromium)) throw new InvalidOperationException($"{Chromium} missing: apt-get install chromium (.ci/run installs it)");
        var root = SandboxEndpoints.RepositoryRoot();
        var modules = Path.Combine(root, "artifacts", "browser", "node_modules");
        if (!Directory.Exists(Path.Combine(modules, "playwright-core")))
            await RunAsync("npm", ["install", "--prefix", Path.GetDirectoryName(modules)!, "--no-audit", "--no-fund", "playwright-core@1"], null);
        var screenshot = Path.Combine(root, "artifacts", "serve", screenshotName);
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        var script = Path.Combine(root, "tests", "PgBackup.Tests.Integration", "Serve", "dashboard-page.cjs");
        var json = await RunAsync("node", [script, url, screenshot], modules);
        var page = JsonSerializer.Deserialize<JsonElement>(json);
        return new Page(page.GetProperty("status").GetInt32(), page.GetProperty("title").GetString()!, page.GetProperty("text").GetString()!, screenshot);
    }

    private static async Task<string> RunAsync(string file, string[] args, string? modules)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (modules is not null) psi.Environment["PLAYWRIGHT_NODE_MODULES"] = modules;
        // playwright-core must never download a browser of its own: the system Chromium is the one.
        psi.Environment["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await p.WaitForExitAsync(timeout.Token);
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {await stderr}");
        return await stdout;
    }
}
