using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Parley.Sim.Faults;
using Parley.Telemetry.Tests.Infrastructure;
using static Parley.Telemetry.Tests.Infrastructure.TelemetryHosts;

namespace Parley.Telemetry.Tests.Metrics;

/// <summary>The Prometheus endpoint of a silo after real traffic: promtool finds nothing wrong with the scrape, every
/// Parley metric the traffic touched shows its exact count, and no label carries a user, key or conversation.</summary>
public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task After_traffic_the_silo_scrape_passes_promtool_with_exact_counts_and_no_identities_in_labels()
    {
        await using var hosts = await TelemetryHosts.StartAsync();
        var (userA, keyA) = await hosts.CreateUserAsync("metrics-a");
        var (userB, keyB) = await hosts.CreateUserAsync("metrics-b");
        var admin = hosts.CreateClient(hosts.SiloUrl, AdminKey);
        using (var limits = await admin.PutAsJsonAsync($"admin/users/{userB}/limits", new Dictionary<string, int> { ["requests_per_minute"] = 1 }))
        {
            Assert.True(limits.IsSuccessStatusCode, await limits.Content.ReadAsStringAsync());
        }
        var a = hosts.CreateClient(hosts.SiloUrl, keyA);
        var b = hosts.CreateClient(hosts.SiloUrl, keyB);
        var answers = new List<ChatTraffic.Answer>();

        for (var i = 0; i < 3; i++)
        {
            answers.Add(await ChatTraffic.SendAsync(a, ChatTraffic.Body(Model, $"plain question {i}")));
        }
        for (var i = 0; i < 2; i++)
        {
            answers.Add(await ChatTraffic.SendAsync(a, ChatTraffic.Body(Model, $"streamed question {i}", stream: true), stream: true));
        }
        // Deterministic and identical: the first is routed and stored, the second answered by the cache.
        answers.Add(await ChatTraffic.SendAsync(a, ChatTraffic.Body(Model, "cached question", temperature: 0)));
        var cacheHit = await ChatTraffic.SendAsync(a, ChatTraffic.Body(Model, "cached question", temperature: 0));
        var conversation = await ChatTraffic.CreateConversationAsync(a, Model);
        answers.Add(await ChatTraffic.SendAsync(a, ChatTraffic.Body(Model, "a turn of a conversation"),
            configure: r => r.Headers.Add("X-Parley-Conversation", conversation)));
        // User B may send one request a minute: one admitted, one refused.
        answers.Add(await ChatTraffic.SendAsync(b, ChatTraffic.Body(Model, "first of b")));
        var refused = await ChatTraffic.SendAsync(b, ChatTraffic.Body(Model, "second of b"));
        // The limited provider's only key answers 429 with a long Retry-After: no other key or deployment can take it.
        var upstream429 = await ChatTraffic.SendAsync(a, ChatTraffic.Body(LimitedModel, "refused upstream"), configure: r =>
        {
            r.Headers.Add(SimHeaders.Fault, "429");
            r.Headers.Add(SimHeaders.RetryAfter, "100");
        });

        Assert.All(answers, answer => Assert.Equal(HttpStatusCode.OK, answer.Status));
        Assert.Equal(HttpStatusCode.OK, cacheHit.Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, upstream429.Status);
        var keyStates = hosts.Silo.Services.GetServices<IHostedService>().OfType<Parley.Silo.Telemetry.UpstreamKeyStateMetrics>().Single();
        await keyStates.RefreshAsync();

        var scrape = await hosts.ScrapeAsync(hosts.SiloMetricsPort);
        var lint = await Promtool.RunAsync(["check", "metrics"], scrape);
        Assert.True(lint.ExitCode == 0 && lint.Output.Length == 0, $"promtool check metrics (exit {lint.ExitCode}):\n{lint.Output}");
        var metrics = PrometheusText.Parse(scrape);

        var routed = answers.Count;
        Assert.Equal(routed, metrics.Value("parley_chat_requests_total", ("model", Model), ("provider", Provider), ("status", "200")));
        Assert.Equal(1, metrics.Value("parley_chat_requests_total", ("model", Model), ("provider", "none"), ("status", "200")));
        Assert.Equal(1, metrics.Value("parley_chat_requests_total", ("model", Model), ("provider", "none"), ("status", "429")));
        Assert.Equal(1, metrics.Value("parley_chat_requests_total", ("model", LimitedModel), ("provider", LimitedProvider), ("status", "429")));

        (string, string)[] genAi = [("gen_ai_operation_name", "chat"), ("gen_ai_provider_name", "openai"), ("gen_ai_request_model", UpstreamModel),
            ("parley_model", Model), ("parley_provider", Provider)];
        Assert.Equal(routed, metrics.Value("gen_ai_client_token_usage_count", [.. genAi, ("gen_ai_token_type", "input")]));
        Assert.Equal(answers.Sum(x => x.PromptTokens), metrics.Value("gen_ai_client_token_usage_sum", [.. genAi, ("gen_ai_token_type", "input")]));
        Assert.Equal(routed, metrics.Value("gen_ai_client_token_usage_count", [.. genAi, ("gen_ai_token_type", "output")]));
        Assert.Equal(answers.Sum(x => x.CompletionTokens), metrics.Value("gen_ai_client_token_usage_sum", [.. genAi, ("gen_ai_token_type", "output")]));
        Assert.Equal(routed, metrics.Find("gen_ai_client_operation_duration_seconds_count", genAi).Where(s => !s.Labels.ContainsKey("error_type")).Sum(s => s.Value));
        Assert.Equal(1, metrics.Value("gen_ai_client_operation_duration_seconds_count", ("parley_model", LimitedModel), ("error_type", "429")));
        Assert.Equal(2, metrics.Value("gen_ai_client_operation_time_to_first_chunk_seconds_count", genAi));
        Assert.Empty(metrics.Find("gen_ai_client_token_usage_count", ("parley_model", LimitedModel)));

        Assert.Equal(1, metrics.Value("parley_cache_lookups_total", ("model", Model), ("result", "miss")));
        Assert.Equal(1, metrics.Value("parley_cache_lookups_total", ("model", Model), ("result", "hit")));
        Assert.Equal(1, metrics.Value("parley_quota_decisions_total", ("mode", "cluster"), ("result", "admitted"), ("reason", "none")));
        Assert.Equal(1, metrics.Value("parley_quota_decisions_total", ("mode", "cluster"), ("result", "refused"), ("reason", "requests_per_minute"), ("scope", "user")));
        Assert.Equal(0, metrics.Value("parley_quota_mode"));

        Assert.Equal(routed, metrics.Value("parley_upstream_attempts_total", ("deployment", $"{Provider}/{UpstreamModel}"), ("result", "ok")));
        Assert.Equal(1, metrics.Value("parley_upstream_attempts_total", ("deployment", $"{LimitedProvider}/{UpstreamModel}"), ("result", "429")));
        Assert.Equal(1, metrics.Value("parley_upstream_rate_limited_total", ("provider", LimitedProvider)));
        Assert.Empty(metrics.Find("parley_upstream_rate_limited_total", ("provider", Provider)));
        Assert.Equal(1, metrics.Value("parley_upstream_fallbacks_total", ("deployment", $"{LimitedProvider}/{UpstreamModel}"), ("reason", "rate_limited")));
        Assert.Equal(1, metrics.Value("parley_upstream_circuit_state", ("deployment", $"{Provider}/{UpstreamModel}"), ("state", "closed")));
        Assert.Equal(0, metrics.Value("parley_upstream_circuit_state", ("deployment", $"{Provider}/{UpstreamModel}"), ("state", "open")));
        Assert.Equal(1, metrics.Value("parley_upstream_keys", ("provider", Provider), ("state", "active")));
        Assert.Equal(1, metrics.Value("parley_upstream_keys", ("provider", LimitedProvider), ("state", "blocked")));
        Assert.Equal(0, metrics.Value("parley_upstream_keys", ("provider", LimitedProvider), ("state", "active")));

        Assert.Equal(1, metrics.Value("parley_conversation_activations_total"));
        Assert.Equal(1, metrics.Value("parley_conversation_active"));

        // Orleans', ASP.NET Core's, HttpClient's and the runtime's meters are there too.
        var families = metrics.Families();
        foreach (var family in new[]
        {
            "orleans_app_requests_latency_seconds", "orleans_catalog_activations", "http_server_request_duration_seconds",
            "http_client_request_duration_seconds", "kestrel_active_connections", "dotnet_gc_collections_total", "dotnet_process_cpus",
        })
        {
            Assert.Contains(family, families);
        }
        Assert.Contains(metrics.Find("target_info"), s => s.Labels["service_name"] == "parley-silo" && s.Labels.ContainsKey("service_instance_id"));

        // Bounded cardinality: no user, key or conversation anywhere in the scrape, and no such label name.
        foreach (var secret in new[] { userA, userB, keyA, keyB, conversation, AdminKey })
        {
            Assert.DoesNotContain(secret, scrape, StringComparison.Ordinal);
        }
        Assert.DoesNotContain(metrics.Samples.SelectMany(s => s.Labels.Keys).Distinct(),
            label => label.Contains("user", StringComparison.OrdinalIgnoreCase) || label.Contains("conversation", StringComparison.OrdinalIgnoreCase)
                || label is "key" or "key_id" or "silo" || label.Contains("silo_", StringComparison.OrdinalIgnoreCase)
                // The runtime's GC generation (gen0, gen1, ...) is bounded; a silo generation is not.
                || (label.Contains("generation", StringComparison.OrdinalIgnoreCase) && label != "gc_heap_generation"));
    }

    [Fact]
    public async Task The_management_port_serves_only_metrics_and_the_api_port_never_serves_them()
    {
        await using var hosts = await TelemetryHosts.StartAsync(withFrontEnd: true);
        var management = hosts.CreateClient(new Uri($"http://127.0.0.1:{hosts.SiloMetricsPort}/"), AdminKey);
        using (var models = await management.GetAsync("v1/models"))
        {
            Assert.Equal(HttpStatusCode.NotFound, models.StatusCode);
            Assert.Empty(await models.Content.ReadAsByteArrayAsync());
        }
        using (var health = await management.GetAsync("health/ready"))
        {
            Assert.Equal(HttpStatusCode.NotFound, health.StatusCode);
        }
        using (var onApi = await hosts.CreateClient(hosts.SiloUrl, AdminKey).GetAsync("metrics"))
        {
            Assert.Equal(HttpStatusCode.NotFound, onApi.StatusCode);
            Assert.Contains("\"error\"", await onApi.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        // The front end forwards every other path to a silo, but not its own management port's.
        var frontEndManagement = hosts.CreateClient(new Uri($"http://127.0.0.1:{hosts.FrontEndMetricsPort}/"), null);
        using (var forwarded = await frontEndManagement.GetAsync("v1/models"))
        {
            Assert.Equal(HttpStatusCode.NotFound, forwarded.StatusCode);
        }
        using (var onFrontEndApi = await hosts.CreateClient(hosts.FrontEndUrl!, null).GetAsync("metrics"))
        {
            // Forwarded to the silo's API port, which has no /metrics.
            Assert.Equal(HttpStatusCode.NotFound, onFrontEndApi.StatusCode);
        }
    }

    [Fact]
    public async Task The_front_end_scrape_passes_promtool_and_counts_the_silos_it_routes_to()
    {
        await using var hosts = await TelemetryHosts.StartAsync(withFrontEnd: true);
        var (_, key) = await hosts.CreateUserAsync("front-end-metrics");
        var answer = await ChatTraffic.SendAsync(hosts.CreateClient(hosts.FrontEndUrl!, key), ChatTraffic.Body(Model, "through the front end"));
        Assert.Equal(HttpStatusCode.OK, answer.Status);

        var scrape = await hosts.ScrapeAsync(hosts.FrontEndMetricsPort);
        var lint = await Promtool.RunAsync(["check", "metrics"], scrape);
        Assert.True(lint.ExitCode == 0 && lint.Output.Length == 0, $"promtool check metrics (exit {lint.ExitCode}):\n{lint.Output}");
        var metrics = PrometheusText.Parse(scrape);
        Assert.Equal(1, metrics.Value("parley_frontend_silos", ("state", "known")));
        Assert.Equal(1, metrics.Value("parley_frontend_silos", ("state", "healthy")));
        Assert.Equal(1, metrics.Value("parley_frontend_silos", ("state", "in_rotation")));
        Assert.Contains(metrics.Find("target_info"), s => s.Labels["service_name"] == "parley-frontend");
        Assert.Contains("http_server_request_duration_seconds", metrics.Families());
        Assert.DoesNotContain(key, scrape, StringComparison.Ordinal);
    }
}
