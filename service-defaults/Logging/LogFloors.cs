using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Parley.ServiceDefaults.Logging;

/// <summary>Framework log categories whose records quote what a client sent, held at a level where they write nothing
/// of it, whatever the configuration says (a rule for any provider, or a longer category, included): Kestrel's
/// rejected request lines and headers (an <c>Authorization</c> header cut by a NUL byte is quoted whole at Debug),
/// ASP.NET Core's "Request starting" lines (the URL with its query string, where a client may put a key), YARP's
/// "Proxying to" lines (the same URL), and the HTTP logging middleware (headers and bodies).</summary>
internal sealed class LogFloors : IPostConfigureOptions<LoggerFilterOptions>
{
    public static IReadOnlyList<(string Category, LogLevel Minimum)> Floors { get; } =
    [
        ("Microsoft.AspNetCore.Server.Kestrel.BadRequests", LogLevel.Information),
        ("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning),
        ("Yarp.ReverseProxy.Forwarder", LogLevel.Warning),
        ("Microsoft.AspNetCore.HttpLogging", LogLevel.None),
        ("Microsoft.AspNetCore.W3CLogging", LogLevel.None),
    ];

    public void PostConfigure(string? name, LoggerFilterOptions options)
    {
        // A rule names a provider or none; the most specific one for a logger wins. One rule per floor for every
        // provider some rule names (and for none), at the floor's own category, and no longer rule under it.
        var providers = options.Rules.Select(r => r.ProviderName).Distinct().ToList();
        if (!providers.Contains(null))
        {
            providers.Add(null);
        }
        foreach (var (category, minimum) in Floors)
        {
            var longerOrEqual = options.Rules.Where(r => r.CategoryName is { } c && c.StartsWith(category, StringComparison.OrdinalIgnoreCase)).ToList();
            foreach (var rule in longerOrEqual)
            {
                options.Rules.Remove(rule);
            }
            foreach (var provider in providers)
            {
                var configured = longerOrEqual.LastOrDefault(r => r.ProviderName == provider)?.LogLevel;
                var level = configured is { } c && c > minimum ? c : minimum;
                options.Rules.Add(new LoggerFilterRule(provider, category, level, filter: null));
            }
        }
    }
}
