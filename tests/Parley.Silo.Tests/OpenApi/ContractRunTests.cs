using System.Text.Json;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.OpenApi;

/// <summary>A third-party run generated from the silo's own OpenAPI document: Portman (npm @apideck/portman) turns the
/// document into a Postman collection with contract tests, Newman runs it against the running silo, once with a user
/// key and once with the admin key. Every answer must be below 500, JSON, pass Portman's contract checks, and every
/// 4xx must be the document's OpenAI error schema.</summary>
public sealed class ContractRunTests(SiloFixture fixture) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task PortmanAndNewmanFindNoServerErrorAndNoAnswerOutsideTheDocument()
    {
        var tools = OpenApiTools.Directory();
        var work = Directory.CreateTempSubdirectory("parley-portman-");
        try
        {
            var document = Path.Combine(work.FullName, "openapi.json");
            await File.WriteAllTextAsync(document, await fixture.Harness.CreateClient(key: null).GetStringAsync("openapi/v1.json"));
            var collection = Path.Combine(work.FullName, "collection.json");
            var (portmanExit, portmanOutput) = await OpenApiTools.RunAsync(tools, "portman", "-l", document, "-b", fixture.Harness.SiloUrl.ToString().TrimEnd('/'),
                "-c", Path.Combine(tools, "portman-config.json"), "-o", collection, "--syncPostman", "false", "--runNewman", "false");
            Assert.True(portmanExit == 0 && File.Exists(collection), portmanOutput);
            var requests = 0;
            foreach (var (who, key) in new[] { ("user", fixture.Key), ("admin", fixture.Harness.AdminKey) })
            {
                var report = Path.Combine(work.FullName, $"run-{who}.json");
                var (_, newmanOutput) = await OpenApiTools.RunAsync(tools, "newman", "run", collection, "--env-var", $"bearerToken={key}",
                    "--env-var", $"baseUrl={fixture.Harness.SiloUrl.ToString().TrimEnd('/')}", "-r", "json", "--reporter-json-export", report);
                Assert.True(File.Exists(report), newmanOutput);
                using var run = JsonDocument.Parse(await File.ReadAllTextAsync(report));
                foreach (var execution in run.RootElement.GetProperty("run").GetProperty("executions").EnumerateArray())
                {
                    requests++;
                    var name = $"{who}: {execution.GetProperty("item").GetProperty("name").GetString()}";
                    Assert.True(execution.TryGetProperty("response", out var response), $"{name}: no answer");
                    var status = response.GetProperty("code").GetInt32();
                    Assert.True(status < 500, $"{name}: answered {status}");
                    if (status >= 400)
                    {
                        var body = System.Text.Encoding.UTF8.GetString(response.GetProperty("stream").GetProperty("data").EnumerateArray().Select(b => (byte)b.GetInt32()).ToArray());
                        using var error = JsonDocument.Parse(body);
                        var fields = error.RootElement.GetProperty("error");
                        Assert.Equal(JsonValueKind.String, fields.GetProperty("message").ValueKind);
                        Assert.Equal(JsonValueKind.String, fields.GetProperty("type").ValueKind);
                        Assert.True(fields.GetProperty("code").ValueKind is JsonValueKind.String or JsonValueKind.Null, $"{name}: {body}");
                    }
                    foreach (var assertion in execution.TryGetProperty("assertions", out var assertions) ? assertions.EnumerateArray() : default)
                    {
                        Assert.False(assertion.TryGetProperty("error", out var failed), $"{name}: {assertion.GetProperty("assertion").GetString()} failed: {(failed.ValueKind == JsonValueKind.Object ? failed.GetProperty("message").GetString() : "")}");
                    }
                }
            }
            Assert.True(requests >= 40, $"Only {requests} requests ran.");
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
