using System.Collections.Concurrent;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Parley.Browser.Tests.Infrastructure;

/// <summary>What a page did that it should not: requests to anywhere but <c>site</c> (refused, since they would need the
/// internet, so the page must render without them) and script errors.</summary>
public sealed class PageWatch
{
    private PageWatch()
    {
    }

    public ConcurrentQueue<string> OffSiteRequests { get; } = new();

    public ConcurrentQueue<string> Errors { get; } = new();

    /// <param name="consoleErrors">Also count errors written to the browser's console (a Content-Security-Policy
    /// violation is reported there).</param>
    public static async Task<PageWatch> StartAsync(IPage page, Uri site, bool consoleErrors = false)
    {
        var watch = new PageWatch();
        await page.RouteAsync("**/*", async route =>
        {
            var url = new Uri(route.Request.Url);
            if (url.Scheme is "http" or "https" && url.Authority != site.Authority)
            {
                watch.OffSiteRequests.Enqueue(route.Request.Url);
                await route.AbortAsync();
                return;
            }
            await route.ContinueAsync();
        });
        page.PageError += (_, error) => watch.Errors.Enqueue(error);
        if (consoleErrors)
        {
            page.Console += (_, message) =>
            {
                if (message.Type == "error")
                {
                    watch.Errors.Enqueue(message.Text);
                }
            };
        }
        return watch;
    }

    /// <summary>A full-page screenshot under the test output folder (<c>bin/…/TestResults</c>); returns its path.</summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name, ITestOutputHelper output)
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "TestResults");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        output.WriteLine($"Saved {path}");
        return path;
    }
}
