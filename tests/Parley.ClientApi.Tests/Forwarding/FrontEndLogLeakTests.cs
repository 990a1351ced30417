using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Parley.ClientApi.Tests.Infrastructure;
using Parley.Testing;
using Parley.Testing.Logs;

namespace Parley.ClientApi.Tests.Forwarding;

/// <summary>The front end with every category at Trace (YARP, Kestrel, ASP.NET Core, HttpClient included) forwarding
/// canaries in the Authorization header, a cookie, a query string and bodies (JSON it reads for routing, broken JSON,
/// streamed), with one of its two silos refusing connections (retries logged with their exceptions): no record holds
/// any of them (see docs/security.md, "Logs"; the silo's own test is tests/Parley.Silo.Tests/Logging).</summary>
public sealed class FrontEndLogLeakTests
{
    [Fact]
    public async Task No_secret_or_content_reaches_any_front_end_log_record_at_trace_level()
    {
        var logs = new RecordingLogs();
        await using var backend = await EchoBackend.StartAsync();
        var dead = $"http://127.0.0.1:{FreePort.Next()}";
        await using var frontEnd = await FrontEndHost.StartAsync(new Dictionary<string, string?>
        {
            ["Parley:FrontEnd:Silos:0"] = backend.Url,
            ["Parley:FrontEnd:Silos:1"] = dead,
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
            ["Logging:LogLevel:Yarp"] = "Trace",
            ["Logging:LogLevel:System"] = "Trace",
        }, services => services.AddSingleton<ILoggerProvider>(logs));

        var planted = new List<string>();
        string Canary(string label)
        {
            var canary = LeakPatterns.NewCanary(label);
            planted.Add(canary);
            return canary;
        }

        // Enough requests that both silos are tried: the dead one's connection failures are retried on the live one.
        for (var i = 0; i < 8; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/chat/completions?api-key={Canary("query")}")
            {
                Content = new StringContent($$"""{"model":"m","messages":[{"role":"user","content":"{{Canary("prompt")}}"}]}""", System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-parley-" + Canary("key"));
            request.Headers.Add("Cookie", $".Parley.Admin={Canary("cookie")}");
            using var response = await frontEnd.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        using (var broken = await frontEnd.Client.PostAsync("/v1/chat/completions",
            new StringContent($$"""{"conversation": {{Canary("brokenjson")}}""", System.Text.Encoding.UTF8, "application/json")))
        {
            Assert.True((int)broken.StatusCode < 500, $"Got {(int)broken.StatusCode}.");
        }
        using (var streamed = await frontEnd.Client.PostAsync("/v1/echo", new PiecewiseContent(System.Text.Encoding.UTF8.GetBytes(Canary("streamed") + new string('x', 100_000)), 10_000)))
        {
            Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
        }

        var lines = logs.Lines.ToList();
        Assert.True(lines.Count > 50, $"Only {lines.Count} records captured: is Trace on?");
        Assert.Contains(lines, line => line.Contains(" Yarp.ReverseProxy", StringComparison.Ordinal));
        var leaks = lines.Where(line => planted.Any(p => line.Contains(p, StringComparison.Ordinal)) || LeakPatterns.Find(line) is not null).ToList();
        Assert.True(leaks.Count == 0, $"{leaks.Count} of {lines.Count} log records carry a secret or content:\n" + string.Join("\n", leaks.Take(20).Select(l => l.Length > 600 ? l[..600] : l)));
    }
}
