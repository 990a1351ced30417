using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Parley.Silo.Auth;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Hostile;

/// <summary>A route of the running silo as ASP.NET Core maps it, with the path to call and the key to call it with.</summary>
public sealed record HostileRoute(string Method, string Pattern, string Path, string? Key)
{
    public override string ToString() => $"{Method} {Pattern}";
}

/// <summary>A silo with every log line captured, a user with a conversation holding one item, and a second user and key
/// that the destructive routes (delete, revoke) may take; and every route the silo maps, read from its
/// <see cref="EndpointDataSource"/>, so a route added anywhere is covered without touching these tests.</summary>
public sealed class HostileFixture : IAsyncLifetime
{
    private SiloHarness? _harness;

    public SiloHarness Harness => _harness ?? throw new InvalidOperationException("Not started.");

    public CapturedLogs Logs { get; } = new();

    public string UserKey { get; private set; } = "";

    public string ConversationId { get; private set; } = "";

    public IReadOnlyList<HostileRoute> Routes { get; private set; } = [];

    public async Task InitializeAsync()
    {
        _harness = await SiloHarness.StartAsync(
            settings =>
            {
                // Sign-in failures answered at once and never throttled: the sign-in routes get thousands of bad bodies.
                settings["Parley:Dashboard:SignInFailureDelay"] = "00:00:00";
                settings["Parley:Dashboard:MaxSignInFailures"] = "1000000";
            },
            configureBuilder: builder => builder.Logging.AddProvider(Logs));
        (_, UserKey) = await Harness.CreateUserAsync("hostile-user");
        var (victimUser, _) = await Harness.CreateUserAsync("hostile-victim");
        var admin = Harness.CreateClient(Harness.AdminKey);
        using var keyResponse = await admin.PostAsJsonAsync($"admin/users/{victimUser}/keys", new Dictionary<string, string> { ["name"] = "victim" });
        var victimKey = (await keyResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var user = Harness.CreateClient(UserKey);
        using var conversation = await user.PostAsync("v1/conversations", Http.Json(
            $$"""{"model":"{{SiloHarness.Model}}","items":[{"type":"message","role":"user","content":"hello"}]}"""));
        ConversationId = (await conversation.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        using var items = await user.GetAsync($"v1/conversations/{ConversationId}/items");
        var itemId = (await items.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data")[0].GetProperty("id").GetString()!;
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["conversationId"] = ConversationId,
            ["itemId"] = itemId,
            ["userId"] = victimUser,
            ["keyId"] = victimKey,
            ["provider"] = SiloHarness.ProviderName,
            ["id"] = SiloHarness.Model,
        };
        Routes = Enumerate(Harness.Services.GetRequiredService<EndpointDataSource>(), values, UserKey, Harness.AdminKey);
    }

    /// <summary>Every route endpoint with each of its methods (both GET and POST for one that allows any method).
    /// A route parameter with no known value gets a made-up one: the route is still called, never skipped.</summary>
    public static List<HostileRoute> Enumerate(EndpointDataSource source, IReadOnlyDictionary<string, string> values, string userKey, string adminKey)
    {
        var routes = new List<HostileRoute>();
        foreach (var endpoint in source.Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = endpoint.RoutePattern;
            var path = "/" + string.Join("/", pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
            {
                RoutePatternLiteralPart literal => literal.Content,
                RoutePatternSeparatorPart separator => separator.Content,
                RoutePatternParameterPart parameter => Uri.EscapeDataString(values.GetValueOrDefault(parameter.Name, "unknown-" + parameter.Name)),
                _ => throw new InvalidOperationException($"Unexpected route part in {pattern.RawText}."),
            }))));
            // /v1 needs a user key; the admin API, the dashboard and the rest get the admin key (the most they accept).
            var role = endpoint.Metadata.GetMetadata<ParleyAuthMetadata>()?.Role;
            var key = role == ParleyRole.User ? userKey : adminKey;
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is { Count: > 0 } declared ? declared : ["GET", "POST"];
            foreach (var method in methods)
            {
                routes.Add(new HostileRoute(method, pattern.RawText ?? path, path, key));
            }
        }
        return routes;
    }

    public async Task DisposeAsync()
    {
        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }
    }
}
