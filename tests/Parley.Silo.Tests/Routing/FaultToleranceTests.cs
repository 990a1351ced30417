using System.Net;
using System.Text;
using System.Text.Json;
using Parley.Silo.Tests.Infrastructure;
using Parley.Sim.Faults;
using Xunit;
using Xunit.Abstractions;

namespace Parley.Silo.Tests.Routing;

/// <summary>Availability over faulty upstreams: two deployments that each answer 20 % 5xx, 10 % 429 with Retry-After,
/// 5 % never, and cut 2 % of connections before the first byte. Every answer a client gets is whole and single.</summary>
public sealed class FaultToleranceTests(ITestOutputHelper output)
{
    private const string Model = "resilient";
    private const int Requests = 2000;

    [Fact]
    public async Task Two_thousand_requests_over_two_faulty_deployments_succeed_at_least_999_in_1000_and_none_is_duplicated_or_truncated()
    {
        await using var harness = await RoutingHarness.StartAsync(2, settings =>
        {
            RoutingHarness.Group(settings, Model, (0, 1, 0), (1, 1, 0));
            RoutingHarness.Resilience(settings, 2, "Retry:MaxRetries", "4");
            RoutingHarness.Resilience(settings, 2, "FirstByteTimeout", "00:00:01");
            RoutingHarness.Resilience(settings, 2, "Retry:MaxRetryAfter", "00:00:01");
            // A quarter of all attempts fail here by design; the default 5 % would (rightly) open both circuits.
            RoutingHarness.Resilience(settings, 2, "CircuitBreaker:FailureRatio", "0.6");
        }, (i, o) =>
        {
            o.ServerErrorRate = 0.20;
            o.RateLimitRate = 0.10;
            o.RateLimitRetryAfter = TimeSpan.FromMilliseconds(50);
            o.TimeoutRate = 0.05;
            o.CutBeforeFirstByteRate = 0.02;
            o.FaultSeed = 1000 + i;
            o.ResponseTokens = 12;
        });
        // Warm, as a serving silo is: a cold start's first calls (JIT, new connections) could outlast the short timeout.
        for (var i = 0; i < 10; i++)
        {
            using var warmUp = await harness.Client.PostChatAsync(Bodies.Simple(model: Model));
        }
        harness.Upstreams[0].State.Reset();
        harness.Upstreams[1].State.Reset();
        var next = -1;
        var succeeded = 0;
        var failures = new List<string>();

        await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < Requests)
            {
                var stream = i % 2 == 0;
                var prompt = $"request {i}";
                using var response = await harness.Client.PostChatAsync(Bodies.Simple(stream, Model, prompt));
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    lock (failures)
                    {
                        failures.Add($"{(int)response.StatusCode} {body}");
                    }
                    continue;
                }
                var content = stream ? StreamedContent(body) : JsonDocument.Parse(body).RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
                // Whole and single: exactly the simulator's reply to this prompt, once.
                Assert.StartsWith($"Echo: {prompt}", content, StringComparison.Ordinal);
                Assert.Equal(content.IndexOf("Echo:", StringComparison.Ordinal), content.LastIndexOf("Echo:", StringComparison.Ordinal));
                Assert.Equal(12, TokenCount(content));
                Interlocked.Increment(ref succeeded);
            }
        }));

        var faults = harness.Upstreams.Sum(u => u.State.Faults);
        var received = harness.Upstreams.Sum(u => u.State.RequestsReceived);
        output.WriteLine($"{succeeded}/{Requests} succeeded; upstream requests {received}, faults injected {faults}: "
            + string.Join(", ", SimFaults.All.Select(f => $"{SimFaults.Name(f)} {harness.Upstreams.Sum(u => u.State.FaultsOf(f))}")));
        foreach (var failure in failures.Take(5))
        {
            output.WriteLine(failure);
        }
        Assert.True(succeeded >= Requests * 999 / 1000, $"{succeeded} of {Requests} succeeded");
        // The faults really happened, at about their rates.
        Assert.True(faults > received / 4, $"{faults} faults in {received} upstream requests");
    }

    /// <summary>The content deltas of a complete stream (its last event [DONE], one finish reason).</summary>
    private static string StreamedContent(string body)
    {
        var events = Http.DataEvents(body);
        Assert.Equal("[DONE]", events[^1]);
        var text = new StringBuilder();
        var finishes = 0;
        foreach (var data in events[..^1])
        {
            var choices = JsonDocument.Parse(data).RootElement.GetProperty("choices");
            if (choices.GetArrayLength() == 0)
            {
                continue;
            }
            var choice = choices[0];
            if (choice.GetProperty("delta").TryGetProperty("content", out var delta) && delta.ValueKind == JsonValueKind.String)
            {
                text.Append(delta.GetString());
            }
            finishes += choice.GetProperty("finish_reason").ValueKind == JsonValueKind.String ? 1 : 0;
        }
        Assert.Equal(1, finishes);
        return text.ToString();
    }

    private static int TokenCount(string text) => Parley.Tokenizer.TiktokenEncoding.O200kBase.CountTokens(text);
}
