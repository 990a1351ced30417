using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.UpstreamKeys;
using Parley.Grains.Redis;
using Parley.Silo.Chat;
using Parley.Silo.Providers;
using Xunit;

namespace Parley.Silo.Tests.Chat;

/// <summary>The upstream body, checked byte for byte.</summary>
public sealed class ChatRequestRewriterTests : IDisposable
{
    private readonly ModelCatalog _catalog;

    public ChatRequestRewriterTests()
    {
        var options = new UpstreamCatalogOptions();
        options.Providers["p"] = new ProviderOptions { BaseUrl = "http://127.0.0.1:1/v1" };
        options.Models["public"] = new ModelOptions { Provider = "p", UpstreamModel = "up/stream \"model\"" };
        // The catalog builds each provider's key pool, which needs a grain factory (an Orleans client's, never started
        // here) and the pacing store.
        var services = new ServiceCollection().AddLogging().AddOrleansClient(static c => c.UseLocalhostClustering()).AddUpstreamKeys()
            .AddSingleton<Parley.Silo.Routing.RoutingMetrics>().BuildServiceProvider();
        _catalog = new ModelCatalog(Options.Create(options), TimeProvider.System, services);
    }

    public void Dispose() => _catalog.Dispose();

    private string Rewrite(string body, IReadOnlyList<ChatMessageRecord>? conversation = null, IHeaderDictionary? headers = null)
    {
        using var document = JsonDocument.Parse(body);
        Assert.True(ChatRequestValidator.TryValidate(document.RootElement, _catalog, headers ?? new HeaderDictionary(), out var request, out var error), error?.Message);
        using var output = new PooledBufferWriter(16);
        ChatRequestRewriter.Write(output, document.RootElement, request, conversation);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    [Fact]
    public void Escaped_and_non_ascii_property_names_and_values_survive()
    {
        var body = """{"model":"public","messages":[{"role":"user","content":"\ud83d\ude00 😀"}],"x_\u00e9t\u00e9":"\"q\"","naïve":{"k":"\u2028"}}""";

        Assert.Equal("""{"model":"up/stream \u0022model\u0022","messages":[{"role":"user","content":"\ud83d\ude00 😀"}],"x_été":"\"q\"","naïve":{"k":"\u2028"}}""", Rewrite(body));
    }

    [Fact]
    public void Stored_messages_come_first_and_conversation_is_removed()
    {
        ChatMessageRecord[] conversation =
        [
            new ChatMessageRecord("system", """{"role":"system","content":"S"}"""),
            new ChatMessageRecord("assistant", """{"role":"assistant","content":null,"tool_calls":[]}"""),
        ];
        var body = """{"conversation":{"id":"conv_0123456789abcdef0123456789abcdef"},"model":"public","messages":[{"role":"user","content":"U"}]}""";

        Assert.Equal("""{"model":"up/stream \u0022model\u0022","messages":[{"role":"system","content":"S"},{"role":"assistant","content":null,"tool_calls":[]},{"role":"user","content":"U"}]}""",
            Rewrite(body, conversation));
    }

    [Fact]
    public void Null_stream_options_are_replaced_when_streaming()
    {
        var body = """{"model":"public","messages":[{"role":"user","content":"U"}],"stream_options":null,"stream":true}""";

        Assert.Equal("""{"model":"up/stream \u0022model\u0022","messages":[{"role":"user","content":"U"}],"stream_options":{"include_usage":true},"stream":true}""", Rewrite(body));
    }

    [Theory]
    [InlineData("", 1.0)]
    [InlineData(""","temperature":null""", 1.0)]
    [InlineData(""","temperature":0""", 0.0)]
    [InlineData(""","temperature":0.7""", 0.7)]
    [InlineData(""","temperature":0.2,"temperature":1.5""", 1.5)]
    public void The_request_carries_the_temperature_it_was_sent_with_and_OpenAIs_default_without_one(string field, double expected)
    {
        using var document = JsonDocument.Parse($$"""{"model":"public","messages":[{"role":"user","content":"hi"}]{{field}}}""");

        Assert.True(ChatRequestValidator.TryValidate(document.RootElement, _catalog, new HeaderDictionary(), out var request, out _));
        Assert.Equal(expected, request.Temperature);
    }

    [Fact]
    public void A_temperature_beyond_a_double_never_reads_as_a_cacheable_one()
    {
        using var document = JsonDocument.Parse("""{"model":"public","messages":[{"role":"user","content":"hi"}],"temperature":1e400}""");

        Assert.True(ChatRequestValidator.TryValidate(document.RootElement, _catalog, new HeaderDictionary(), out var request, out _));
        // Infinity, or NaN where the runtime cannot read it: neither is at or below 2, OpenAI's highest temperature.
        Assert.False(request.Temperature <= 2);
    }
}
