using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Parley.Sim.Faults;
using Parley.Telemetry.Tests.Infrastructure;
using Parley.Telemetry.Tests.Metrics;
using static Parley.Telemetry.Tests.Infrastructure.TelemetryHosts;

namespace Parley.Telemetry.Tests.Traces;

/// <summary>A chat turn is one trace: the client's span, the front end's server span and its forward to the silo, the
/// silo's server span, the conversation grain's calls, the GenAI span of the routed call and, under it, the upstream
/// HTTP call whose <c>traceparent</c> the simulator received. Spans come from OpenTelemetry's in-memory exporter.</summary>
public sealed class ChatTraceTests
{
    private const string ChatSource = "Parley.Chat";
    private const string HttpClientSource = "System.Net.Http";
    private const string AspNetCoreSource = "Microsoft.AspNetCore";
    private const string OrleansSource = "Microsoft.Orleans.Application";

    /// <summary>The test is the client: its own span is the root of the trace, so the trace id is known up front.</summary>
    private static readonly ActivitySource Client = new("Parley.Telemetry.Tests");

    [Fact]
    public async Task A_conversation_turn_through_the_front_end_is_one_trace_down_to_the_upstream_call_with_genai_attributes_and_no_content()
    {
        await using var hosts = await TelemetryHosts.StartAsync(withFrontEnd: true);
        var (_, key) = await hosts.CreateUserAsync("trace-user");
        var client = hosts.CreateClient(hosts.FrontEndUrl!, key);
        var conversation = await ChatTraffic.CreateConversationAsync(client, Model);
        const string question = "what is the secret word zebra-4711";
        var before = hosts.Simulator.State.RecentRequests.Count;

        ActivityTraceId traceId;
        ChatTraffic.Answer answer;
        using (var root = Client.StartActivity("client turn", ActivityKind.Internal))
        {
            Assert.NotNull(root);
            traceId = root.TraceId;
            answer = await ChatTraffic.SendAsync(client, ChatTraffic.Body(Model, question), configure: r => r.Headers.Add("X-Parley-Conversation", conversation));
        }
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        var answerText = JsonDocument.Parse(answer.Body).RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;

        // A server span ends after its response is written, possibly after the client has read it: wait for both hosts'.
        var frontEndPort = hosts.FrontEndUrl!.Port;
        var siloPort = hosts.SiloUrl.Port;
        await hosts.WaitForAsync(() => Task.FromResult(hosts.Spans.OfTrace(traceId).Count(s => s.Source.Name == AspNetCoreSource
                && Port(s, "server.port") is { } port && (port == frontEndPort || port == siloPort)) == 2),
            () => "the front end's and the silo's server spans of the turn; the trace so far:\n" + Tree(hosts.Spans.OfTrace(traceId)));
        var spans = hosts.Spans.OfTrace(traceId);
        var tree = Tree(spans);
        var byId = spans.ToDictionary(s => s.SpanId);

        // Front end: the server span is the child of the client's HTTP call; its forward to the silo is its child.
        var frontEnd = Single(spans, tree, s => s.Source.Name == AspNetCoreSource && Port(s, "server.port") == frontEndPort);
        Assert.Equal(ActivityKind.Server, frontEnd.Kind);
        var clientCall = byId[frontEnd.ParentSpanId];
        Assert.Equal(HttpClientSource, clientCall.Source.Name);
        Assert.Equal(traceId, clientCall.TraceId);
        var forward = Single(spans, tree, s => s.Source.Name == HttpClientSource && s.ParentSpanId == frontEnd.SpanId);
        Assert.Equal(siloPort, Port(forward, "server.port"));

        // Silo: its server span continues the forward; the routed call's GenAI span is inside it.
        var silo = Single(spans, tree, s => s.Source.Name == AspNetCoreSource && Port(s, "server.port") == siloPort);
        Assert.Equal(forward.SpanId, silo.ParentSpanId);
        Assert.Equal(ActivityKind.Server, silo.Kind);
        Assert.Equal("/v1/chat/completions", silo.GetTagItem("http.route"));
        Assert.Equal(200, silo.GetTagItem("http.response.status_code"));

        var chat = Single(spans, tree, s => s.Source.Name == ChatSource);
        Assert.True(IsUnder(chat, silo, byId), "The chat span is not inside the silo's server span:\n" + tree);
        Assert.Equal(ActivityKind.Client, chat.Kind);
        Assert.Equal("chat " + UpstreamModel, chat.DisplayName);
        Assert.Equal(ActivityStatusCode.Unset, chat.Status);
        Assert.Equal("chat", chat.GetTagItem("gen_ai.operation.name"));
        Assert.Equal("openai", chat.GetTagItem("gen_ai.provider.name"));
        Assert.Equal(UpstreamModel, chat.GetTagItem("gen_ai.request.model"));
        Assert.Equal(Model, chat.GetTagItem("parley.model"));
        Assert.Equal(Provider, chat.GetTagItem("parley.provider"));
        Assert.Equal($"{Provider}/{UpstreamModel}", chat.GetTagItem("parley.deployment"));
        Assert.Equal(answer.PromptTokens, chat.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(answer.CompletionTokens, chat.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal(["stop"], Assert.IsType<string[]>(chat.GetTagItem("gen_ai.response.finish_reasons")));
        Assert.Equal(200, chat.GetTagItem("parley.response.status_code"));
        Assert.Equal(false, chat.GetTagItem("parley.stream"));
        Assert.Null(chat.GetTagItem("error.type"));

        // The upstream call is the chat span's child, and the simulator received its traceparent.
        var upstream = Single(spans, tree, s => s.Source.Name == HttpClientSource && s.ParentSpanId == chat.SpanId);
        Assert.Equal(ActivityKind.Client, upstream.Kind);
        Assert.Equal(hosts.Simulator.BaseUrl.Port, Port(upstream, "server.port"));
        Assert.Equal(200, upstream.GetTagItem("http.response.status_code"));
        // The simulator runs in this process: its own server span continues the upstream call's context.
        var simulator = Single(spans, tree, s => s.Source.Name == AspNetCoreSource && s.ParentSpanId == upstream.SpanId);
        Assert.Equal(hosts.Simulator.BaseUrl.Port, Port(simulator, "server.port"));
        var received = hosts.Simulator.State.RecentRequests.Skip(before).Where(r => r.Path.EndsWith("/chat/completions", StringComparison.Ordinal)).ToList();
        var upstreamRequest = Assert.Single(received);
        AssertTraceParent(traceId, upstream, upstreamRequest.TraceParent);

        // The conversation grain's calls are in the same trace: each client span on the silo, each server span its child.
        var grainClients = spans.Where(s => s.Source.Name == OrleansSource && s.Kind == ActivityKind.Client).ToList();
        var grainServers = spans.Where(s => s.Source.Name == OrleansSource && s.Kind == ActivityKind.Server).ToList();
        var methods = grainClients.Select(s => (string)s.GetTagItem("rpc.method")!).Order(StringComparer.Ordinal).ToList();
        Assert.True(methods.Contains("Parley.GrainInterfaces.Conversations.IConversationGrain/BuildPromptAsync")
            && methods.Contains("Parley.GrainInterfaces.Conversations.IConversationGrain/AppendTurnAsync"), "Grain calls: " + string.Join(", ", methods) + "\n" + tree);
        Assert.All(grainClients, s => Assert.True(IsUnder(s, silo, byId), $"Grain call {s.DisplayName} is not inside the silo's span:\n{tree}"));
        Assert.Equal(grainClients.Count, grainServers.Count);
        Assert.All(grainServers, s => Assert.Contains(grainClients, c => c.SpanId == s.ParentSpanId));
        var append = Single(grainClients, tree, s => ((string)s.GetTagItem("rpc.method")!).EndsWith("/AppendTurnAsync", StringComparison.Ordinal));
        Assert.True(IsUnder(append, chat, byId), "The turn is stored inside the routed call's span:\n" + tree);

        // Nothing of the conversation's text is in any span: names, attributes, events or baggage.
        foreach (var span in spans)
        {
            foreach (var text in Texts(span))
            {
                Assert.DoesNotContain("zebra-4711", text, StringComparison.Ordinal);
                Assert.DoesNotContain(answerText, text, StringComparison.Ordinal);
                Assert.DoesNotContain(key, text, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task A_streamed_call_refused_upstream_ends_its_genai_span_in_error_with_the_status_as_error_type()
    {
        await using var hosts = await TelemetryHosts.StartAsync();
        var (_, key) = await hosts.CreateUserAsync("trace-refused");
        var client = hosts.CreateClient(hosts.SiloUrl, key);
        var before = hosts.Simulator.State.RecentRequests.Count;

        ActivityTraceId traceId;
        ChatTraffic.Answer answer;
        using (var root = Client.StartActivity("client call", ActivityKind.Internal))
        {
            traceId = root!.TraceId;
            answer = await ChatTraffic.SendAsync(client, ChatTraffic.Body(LimitedModel, "refused upstream", stream: true), stream: true, configure: r =>
            {
                r.Headers.Add(SimHeaders.Fault, "429");
                r.Headers.Add(SimHeaders.RetryAfter, "100");
            });
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, answer.Status);
        await hosts.WaitForAsync(() => Task.FromResult(hosts.Spans.OfTrace(traceId).Any(s => s.Source.Name == AspNetCoreSource && Port(s, "server.port") == hosts.SiloUrl.Port)),
            () => "the silo's server span; the trace so far:\n" + Tree(hosts.Spans.OfTrace(traceId)));
        var spans = hosts.Spans.OfTrace(traceId);
        var tree = Tree(spans);

        var chat = Single(spans, tree, s => s.Source.Name == ChatSource);
        Assert.Equal(ActivityStatusCode.Error, chat.Status);
        Assert.Equal("429", chat.GetTagItem("error.type"));
        Assert.Equal(429, chat.GetTagItem("parley.response.status_code"));
        Assert.Equal(true, chat.GetTagItem("parley.stream"));
        Assert.Equal($"{LimitedProvider}/{UpstreamModel}", chat.GetTagItem("parley.deployment"));
        Assert.Null(chat.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Null(chat.GetTagItem("gen_ai.response.finish_reasons"));
        var upstream = Single(spans, tree, s => s.Source.Name == HttpClientSource && s.ParentSpanId == chat.SpanId);
        Assert.Equal(429, upstream.GetTagItem("http.response.status_code"));
        var received = Assert.Single(hosts.Simulator.State.RecentRequests.Skip(before));
        AssertTraceParent(traceId, upstream, received.TraceParent);
    }

    /// <summary>The W3C header names this trace and the upstream call's span, sampled (.NET 10 also sets the
    /// trace-context level 2 "random trace id" flag, 0x02, so the flags are compared by bit).</summary>
    private static void AssertTraceParent(ActivityTraceId traceId, Activity upstream, string? traceParent)
    {
        Assert.NotNull(traceParent);
        var parts = traceParent.Split('-');
        Assert.Equal(4, parts.Length);
        Assert.Equal(["00", traceId.ToHexString(), upstream.SpanId.ToHexString()], parts[..3]);
        Assert.True((Convert.ToByte(parts[3], 16) & 0x01) == 0x01, "Not sampled: " + traceParent);
    }

    private static Activity Single(IEnumerable<Activity> spans, string tree, Func<Activity, bool> predicate)
    {
        var found = spans.Where(predicate).ToList();
        Assert.True(found.Count == 1, $"Expected one such span, found {found.Count} in:\n{tree}");
        return found[0];
    }

    private static bool IsUnder(Activity span, Activity ancestor, IReadOnlyDictionary<ActivitySpanId, Activity> byId)
    {
        var current = span;
        while (byId.TryGetValue(current.ParentSpanId, out var parent))
        {
            if (parent.SpanId == ancestor.SpanId)
            {
                return true;
            }
            current = parent;
        }
        return false;
    }

    private static int? Port(Activity span, string tag) => span.GetTagItem(tag) switch
    {
        int port => port,
        long port => (int)port,
        string text when int.TryParse(text, out var port) => port,
        _ => null,
    };

    private static IEnumerable<string> Texts(Activity span)
    {
        yield return span.DisplayName;
        yield return span.OperationName;
        foreach (var tag in span.TagObjects)
        {
            yield return tag.Key + "=" + Describe(tag.Value);
        }
        foreach (var e in span.Events)
        {
            yield return e.Name;
            foreach (var tag in e.Tags)
            {
                yield return tag.Key + "=" + Describe(tag.Value);
            }
        }
        foreach (var item in span.Baggage)
        {
            yield return item.Key + "=" + item.Value;
        }
    }

    private static string Describe(object? value) => value switch
    {
        null => "",
        string s => s,
        System.Collections.IEnumerable items => string.Join(",", items.Cast<object?>()),
        _ => value.ToString() ?? "",
    };

    /// <summary>The spans as an indented tree, for failure messages.</summary>
    private static string Tree(IReadOnlyList<Activity> spans)
    {
        var ids = spans.Select(s => s.SpanId).ToHashSet();
        var text = new System.Text.StringBuilder();
        void Write(Activity span, int depth)
        {
            text.Append(' ', depth * 2).Append(span.Source.Name).Append(' ').Append(span.Kind).Append(" '").Append(span.DisplayName).Append("' ")
                .AppendJoin(' ', span.TagObjects.Select(t => t.Key + "=" + Describe(t.Value))).AppendLine();
            foreach (var child in spans.Where(s => s.ParentSpanId == span.SpanId).OrderBy(s => s.StartTimeUtc))
            {
                Write(child, depth + 1);
            }
        }
        foreach (var root in spans.Where(s => !ids.Contains(s.ParentSpanId)).OrderBy(s => s.StartTimeUtc))
        {
            Write(root, 0);
        }
        return text.ToString();
    }
}
