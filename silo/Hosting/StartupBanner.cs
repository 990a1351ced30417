using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Parley.Silo.Auth;
using Parley.Silo.Providers;

namespace Parley.Silo.Hosting;

/// <summary>Once the silo serves, tells the person who started it where, and how to try it: a curl command that works
/// as pasted (with the user key the bootstrap banner printed). Written to standard output like that banner, and
/// logged as one line for log collectors.</summary>
internal sealed partial class StartupBanner(IHostApplicationLifetime lifetime, IServer server, ModelCatalog catalog, IBootstrapAnnouncer announcer,
    ILogger<StartupBanner> logger) : IHostedService
{
    private const string Rule = "==========================================================================";
    private CancellationTokenRegistration _registration;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registration = lifetime.ApplicationStarted.Register(static s => ((StartupBanner)s!).Show(), this);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _registration.Dispose();
        return Task.CompletedTask;
    }

    private void Show()
    {
        var url = DisplayUrl(server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault());
        var model = catalog.TryGetModel(EmbeddedSimulator.ModelName, out var simulated) ? simulated : catalog.Models.FirstOrDefault();
        LogListening(logger, url, catalog.Models.Count);
        // Built whole and written at once, so log lines written meanwhile cannot land inside it.
        var banner = new StringBuilder();
        banner.AppendLine().AppendLine(Rule);
        banner.AppendLine($" Parley silo listening on {url}   (OpenAI base URL: {url}/v1)");
        var credentials = (announcer as ConsoleBootstrapAnnouncer)?.TakePending();
        if (credentials is not null)
        {
            banner.AppendLine(Rule);
            using var writer = new StringWriter(banner);
            ConsoleBootstrapAnnouncer.Write(writer, credentials);
            banner.AppendLine(Rule);
        }
        banner.AppendLine($" Models: {string.Join(", ", catalog.Models.Select(m => $"{m.Id} ({string.Join(", ", m.Members.Select(d => d.Deployment.Provider.Name).Distinct())})"))}");
        if (simulated?.Primary.Provider.Name == EmbeddedSimulator.ProviderName)
        {
            banner.AppendLine($" '{EmbeddedSimulator.ModelName}' is served by Parley's built-in SIMULATOR: canned text, not a real model.");
            banner.AppendLine(" Configure Parley:Providers and Parley:Models to use a real provider.");
        }
        if (model is not null)
        {
            banner.AppendLine(credentials?.UserKey is null ? " Try it with a user key:" : " Try it:");
            banner.AppendLine($"   export PARLEY_KEY={credentials?.UserKey ?? "<user key>"}");
            banner.AppendLine($"   curl {url}/v1/chat/completions \\");
            banner.AppendLine("     -H \"Authorization: Bearer $PARLEY_KEY\" -H \"Content-Type: application/json\" \\");
            banner.AppendLine($"     -d '{{\"model\":\"{model.Id}\",\"messages\":[{{\"role\":\"user\",\"content\":\"Hello!\"}}]}}'");
        }
        banner.AppendLine(Rule);
        Console.Out.Write(banner.ToString());
        Console.Out.Flush();
    }

    // A wildcard binding ("http://+:8080", "http://0.0.0.0:8080", "http://[::]:8080") is reachable as localhost.
    private static string DisplayUrl(string? address)
    {
        if (address is null)
        {
            return "http://localhost:8080";
        }
        var normalized = address.Replace("://+", "://localhost", StringComparison.Ordinal)
            .Replace("://*", "://localhost", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal)
            .Replace("://[::]", "://localhost", StringComparison.Ordinal);
        return normalized.TrimEnd('/');
    }

    [LoggerMessage(1, LogLevel.Information, "Parley silo listening on {Url} with {ModelCount} model(s).")]
    private static partial void LogListening(ILogger logger, string url, int modelCount);
}
