using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Parley.Silo.Tests.Infrastructure;
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
                var refusal = operation.Value.GetProperty("responses").GetProperty("4XX").GetProperty("content").GetProperty("application/json").GetProperty("schema");
                Assert.Equal("#/components/schemas/OpenAIErrorBody", refusal.GetProperty("$ref").GetString());
            }
        }
    }

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
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Cluster.sln")))
        {
            dir = dir.Parent;
        }
        var tools = Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Cluster.sln not found above the test binaries."), "tests", "openapi-tools");
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
