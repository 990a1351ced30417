using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.OpenApi;

/// <summary>The OpenAPI document a silo serves at /openapi/v1.json: anonymous, every route of /v1 and /admin, the
/// OpenAI error schema on every 4xx, and clean under Redocly's linter (npm @redocly/cli, installed by test.sh into
/// tests/openapi-tools).</summary>
public sealed class OpenApiDocumentTests(SiloFixture fixture) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task TheDocumentIsServedWithoutAKeyAndCoversThePublicAndAdminApi()
    {
        using var response = await fixture.Harness.CreateClient(key: null).GetAsync("openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;
        Assert.StartsWith("3.", root.GetProperty("openapi").GetString());
        var paths = root.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet();
        foreach (var expected in new[] { "/v1/chat/completions", "/v1/models", "/v1/conversations", "/v1/conversations/{conversationId}/items", "/v1/usage",
            "/admin/users", "/admin/users/{userId}/keys", "/admin/keys/{keyId}/revoke", "/admin/users/{userId}/limits", "/admin/deployments" })
        {
            Assert.Contains(expected, paths);
        }
        Assert.DoesNotContain(paths, p => p.StartsWith("/dashboard", StringComparison.Ordinal) || p.StartsWith("/admin/sign-", StringComparison.Ordinal));
        var error = root.GetProperty("components").GetProperty("schemas").GetProperty("OpenAIErrorBody").GetProperty("properties").GetProperty("error");
        Assert.Equal(["code", "message", "type"], error.GetProperty("required").EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal));
        foreach (var path in root.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                var name = $"{operation.Name.ToUpperInvariant()} {path.Name}";
                var responses = operation.Value.GetProperty("responses");
                // Every route needs a key: 401 and 403 in OpenAI's error shape, and no catch-all ranges.
                foreach (var status in new[] { "401", "403", "503" })
                {
                    Assert.True(responses.TryGetProperty(status, out var refusal), $"{name} has no {status}.");
                    Assert.Equal("#/components/schemas/OpenAIErrorBody", refusal.GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
                }
                Assert.False(responses.TryGetProperty("4XX", out _) || responses.TryGetProperty("5XX", out _) || responses.TryGetProperty("500", out _), name);
            }
        }
    }

    /// <summary>Every route of /v1 and /admin, read from the silo's EndpointDataSource (so a route any feature adds later
    /// is held to it): a body route declares its request schema (or that it takes no body), every route declares its
    /// success answer with a schema, and every error status it lists is OpenAI's error schema.</summary>
    [Fact]
    public async Task EveryRouteDeclaresItsRequestAndAnswerSchemas()
    {
        using var response = await fixture.Harness.CreateClient(key: null).GetAsync("openapi/v1.json");
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var paths = document.RootElement.GetProperty("paths");
        var schemas = document.RootElement.GetProperty("components").GetProperty("schemas");
        var routes = 0;
        foreach (var endpoint in fixture.Harness.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var template = "/" + (endpoint.RoutePattern.RawText ?? "").Trim('/');
            if (!(template.StartsWith("/v1/", StringComparison.Ordinal) || template.StartsWith("/admin/", StringComparison.Ordinal))
                || template.StartsWith("/admin/sign-", StringComparison.Ordinal))
            {
                continue;
            }
            foreach (var method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [])
            {
                routes++;
                var name = $"{method} {template}";
                Assert.True(paths.TryGetProperty(template, out var path), $"{name} is not in the document.");
                Assert.True(path.TryGetProperty(method.ToLowerInvariant(), out var operation), $"{name} is not in the document.");
                if (method is "POST" or "PUT" or "PATCH")
                {
                    var declaresNone = endpoint.Metadata.GetMetadata<Parley.Silo.OpenApi.NoRequestBodyMetadata>() is not null;
                    var hasBody = operation.TryGetProperty("requestBody", out var body);
                    Assert.True(hasBody ^ declaresNone, $"{name} must declare its request body (.AcceptsJson<T>()) or that it has none (.NoRequestBody()).");
                    if (hasBody)
                    {
                        foreach (var media in body.GetProperty("content").EnumerateObject())
                        {
                            var schema = Resolve(media.Value.GetProperty("schema"), schemas);
                            Assert.True(schema.TryGetProperty("properties", out var properties) && properties.EnumerateObject().Any(), $"{name}: the {media.Name} body has no properties.");
                        }
                        Assert.True(operation.GetProperty("responses").TryGetProperty("400", out _), $"{name} reads a body and does not list 400.");
                    }
                }
                var responses = operation.GetProperty("responses").EnumerateObject().ToList();
                var success = responses.Where(r => r.Name.StartsWith('2')).ToList();
                Assert.True(success.Count > 0, $"{name} declares no success answer (.Produces<T>()).");
                foreach (var answer in success)
                {
                    Assert.True(answer.Value.TryGetProperty("content", out var content) && content.EnumerateObject().Any(), $"{name}: its {answer.Name} has no content.");
                    foreach (var media in content.EnumerateObject())
                    {
                        var schema = Resolve(media.Value.GetProperty("schema"), schemas);
                        Assert.True(media.Name != "application/json" || schema.TryGetProperty("properties", out _), $"{name}: its {answer.Name} JSON has no schema of its own.");
                    }
                }
                var errors = responses.Where(r => r.Name[0] is '4' or '5').ToList();
                Assert.Contains(errors, r => r.Name[0] == '4');
                foreach (var error in errors)
                {
                    Assert.Equal("#/components/schemas/OpenAIErrorBody",
                        error.Value.GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
                }
            }
        }
        Assert.True(routes >= 46, $"Only {routes} routes were checked.");
    }

    private static JsonElement Resolve(JsonElement schema, JsonElement schemas)
        => schema.TryGetProperty("$ref", out var reference) ? schemas.GetProperty(reference.GetString()!["#/components/schemas/".Length..]) : schema;

    [Fact]
    public async Task RedoclyLintsTheDocumentClean()
    {
        var tools = OpenApiTools.Directory();
        var file = Path.Combine(Path.GetTempPath(), $"parley-openapi-{Guid.NewGuid():N}.json");
        try
        {
            await File.WriteAllTextAsync(file, await fixture.Harness.CreateClient(key: null).GetStringAsync("openapi/v1.json"));
            var (exitCode, output) = await OpenApiTools.RunAsync(tools, "redocly", "lint", file, "--format=stylish", "--config", Path.Combine(tools, "redocly.yaml"));
            Assert.True(exitCode == 0, output);
            Assert.DoesNotContain(" warning ", output);
            Assert.DoesNotContain(" error ", output);
        }
        finally
        {
            File.Delete(file);
        }
    }
}

/// <summary>The npm tools in tests/openapi-tools (test.sh runs <c>npm ci</c> there). Missing tools fail the test.</summary>
internal static class OpenApiTools
{
    public static string Directory()
    {
        var tools = Path.Combine(BuiltAssemblies.RepositoryRoot(), "tests", "openapi-tools");
        if (!File.Exists(Path.Combine(tools, "node_modules", ".bin", "redocly")))
        {
            throw new InvalidOperationException($"The npm tools are not installed: run `npm ci` in {tools} (test.sh does).");
        }
        return tools;
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(string tools, string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(Path.Combine(tools, "node_modules", ".bin", tool)) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = tools };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        // No telemetry or update checks from the tools: the tests run offline.
        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
