using System.Net;
using System.Text.Json;
using Parley.Sim.Hosting;
using Parley.Sim.Tests.Infrastructure;
using Parley.Tokenizer;

namespace Parley.Sim.Tests.Anthropic;

public sealed class MessagesToolTests
{
    private const string WeatherSchema = """{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"},"metric":{"type":"boolean"},"hours":{"type":["null","array"]},"filter":{"type":"object"},"scale":{"type":"number"},"note":{"description":"no type"}},"required":["city","days","metric","hours","filter","scale","note"]}""";
    private const string TimeSchema = """{"type":"object","properties":{"zone":{"type":"string"}},"required":["zone"]}""";
    private const string Tools = $$"""[{"name":"get_weather","description":"Weather by city","input_schema":{{WeatherSchema}}},{"name":"get_time","input_schema":{{TimeSchema}}}]""";

    [Fact]
    public async Task With_tools_the_answer_calls_the_first_tool_with_an_input_built_from_its_schema()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = AnthropicSimClient.Create(sim);

        using var response = await client.PostMessagesAsync(AnthropicSimClient.Body("Paris", extra: $",\"tools\":{Tools}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.JsonAsync();
        Assert.Equal("tool_use", json.GetProperty("stop_reason").GetString());
        var content = json.GetProperty("content");
        Assert.Equal(2, content.GetArrayLength());
        Assert.Equal("""{"type":"text","text":"Calling get_weather."}""", content[0].GetRawText());
        Assert.Equal("""{"type":"tool_use","id":"toolu_000000000000000000000001","name":"get_weather","input":{"city":"Paris","days":1,"metric":true,"hours":[],"filter":{},"scale":1,"note":null},"caller":{"type":"direct"}}""",
            content[1].GetRawText());
        var o200k = TiktokenEncoding.O200kBase;
        const string input = """{"city":"Paris","days":1,"metric":true,"hours":[],"filter":{},"scale":1,"note":null}""";
        var usage = json.GetProperty("usage");
        Assert.Equal(o200k.CountTokens("Calling get_weather.") + o200k.CountTokens(input), usage.GetProperty("output_tokens").GetInt32());
        // The user text, then each tool's name, description and input_schema as sent.
        Assert.Equal(new[] { "Paris", "get_weather", "Weather by city", WeatherSchema, "get_time", TimeSchema }.Sum(t => o200k.CountTokens(t)),
            usage.GetProperty("input_tokens").GetInt32());
    }

    [Theory]
    [InlineData("""{"type":"tool","name":"get_time"}""", "get_time")]
    [InlineData("""{"type":"any","disable_parallel_tool_use":true}""", "get_weather")]
    [InlineData("""{"type":"auto"}""", "get_weather")]
    [InlineData("""{"type":"none"}""", null)]
    public async Task Tool_choice_picks_the_tool_or_turns_calls_off(string toolChoice, string? called)
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.ResponseTokens = 4);
        using var client = AnthropicSimClient.Create(sim);

        using var response = await client.PostMessagesAsync(AnthropicSimClient.Body("UTC", extra: $",\"tools\":{Tools},\"tool_choice\":{toolChoice}"));

        var json = await response.JsonAsync();
        var content = json.GetProperty("content");
        if (called is null)
        {
            Assert.Equal("Echo: UTC lorem", Assert.Single(content.EnumerateArray()).GetProperty("text").GetString());
            Assert.Equal("end_turn", json.GetProperty("stop_reason").GetString());
        }
        else
        {
            Assert.Equal(called, content[1].GetProperty("name").GetString());
            Assert.Equal("tool_use", json.GetProperty("stop_reason").GetString());
        }
        if (called == "get_time")
        {
            Assert.Equal("""{"zone":"UTC"}""", content[1].GetProperty("input").GetRawText());
        }
    }

    [Fact]
    public async Task Tool_round_trip_answers_with_the_tool_result()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.ResponseTokens = 10);
        using var client = AnthropicSimClient.Create(sim);
        using var call = await client.PostMessagesAsync(AnthropicSimClient.Body("Paris", extra: $",\"tools\":{Tools}"));
        var toolUse = (await call.JsonAsync()).GetProperty("content")[1];
        var id = toolUse.GetProperty("id").GetString();
        var body = $$"""
            {"model":"sim-small","max_tokens":100,"tools":{{Tools}},"messages":[
              {"role":"user","content":"Paris"},
              {"role":"assistant","content":[{"type":"text","text":"Calling get_weather."},{{toolUse.GetRawText()}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"{{id}}","content":[{"type":"text","text":"sunny, 21C"}]}]}
            ]}
            """;

        using var response = await client.PostMessagesAsync(body);

        var json = await response.JsonAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("end_turn", json.GetProperty("stop_reason").GetString());
        var text = Assert.Single(json.GetProperty("content").EnumerateArray()).GetProperty("text").GetString();
        Assert.Equal("Tool result: sunny, 21C lorem ipsum", text);
        Assert.Equal(10, TiktokenEncoding.O200kBase.CountTokens(text));
        Assert.Equal(10, json.GetProperty("usage").GetProperty("output_tokens").GetInt32());
        var o200k = TiktokenEncoding.O200kBase;
        var pieces = new[]
        {
            "Paris", "Calling get_weather.", "get_weather", toolUse.GetProperty("input").GetRawText(), "sunny, 21C",
            "get_weather", "Weather by city", WeatherSchema, "get_time", TimeSchema,
        };
        Assert.Equal(pieces.Sum(t => o200k.CountTokens(t)), json.GetProperty("usage").GetProperty("input_tokens").GetInt32());
    }

    [Fact]
    public async Task Tool_use_is_streamed_as_input_json_deltas_after_the_text_block()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.TokensPerChunk = 2);
        using var client = AnthropicSimClient.Create(sim);

        using var response = await client.PostMessagesAsync(AnthropicSimClient.Body("Paris", extra: $",\"stream\":true,\"tools\":{Tools},\"tool_choice\":{{\"type\":\"tool\",\"name\":\"get_time\"}}"));
        var events = await new SseEventReader(await response.Content.ReadAsStreamAsync()).ReadAllAsync();

        var names = events.Select(e => e.Name).ToList();
        Assert.Equal(["message_start", "content_block_start", "ping"], names[..3]);
        var textStop = names.IndexOf("content_block_stop");
        Assert.Equal("content_block_start", names[textStop + 1]);
        Assert.Equal("""{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_000000000000000000000001","name":"get_time","input":{},"caller":{"type":"direct"}}}""",
            events[textStop + 1].Data.GetRawText());
        var textDeltas = events[3..textStop].Select(e => e.Data.GetProperty("delta").GetProperty("text").GetString());
        Assert.Equal("Calling get_time.", string.Concat(textDeltas));
        var jsonDeltas = events.Where(e => e.Name == "content_block_delta" && e.Data.GetProperty("index").GetInt32() == 1).ToList();
        Assert.All(jsonDeltas, e => Assert.Equal("input_json_delta", e.Data.GetProperty("delta").GetProperty("type").GetString()));
        Assert.Equal("""{"zone":"Paris"}""", string.Concat(jsonDeltas.Select(e => e.Data.GetProperty("delta").GetProperty("partial_json").GetString())));
        var o200k = TiktokenEncoding.O200kBase;
        Assert.Equal((o200k.CountTokens("""{"zone":"Paris"}""") + 1) / 2, jsonDeltas.Count);
        Assert.Equal(["content_block_stop", "message_delta", "message_stop"], names[^3..]);
        Assert.Equal(1, events[^3].Data.GetProperty("index").GetInt32());
        Assert.Equal("tool_use", events[^2].Data.GetProperty("delta").GetProperty("stop_reason").GetString());
        Assert.Equal(o200k.CountTokens("Calling get_time.") + o200k.CountTokens("""{"zone":"Paris"}"""), events[^2].Data.GetProperty("usage").GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public async Task Tool_use_ids_count_up_from_one_and_restart_after_a_reset()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = AnthropicSimClient.Create(sim);
        using var bearer = SimClient.Create(sim);
        var body = AnthropicSimClient.Body("x", extra: $",\"tools\":{Tools}");

        var ids = new List<string?>();
        for (var i = 0; i < 2; i++)
        {
            using var response = await client.PostMessagesAsync(body);
            ids.Add((await response.JsonAsync()).GetProperty("content")[1].GetProperty("id").GetString());
        }
        using var faulted = await client.PostMessagesAsync(body, ("x-sim-fault", "500")); // a faulted call uses no number
        using var reset = await bearer.PostAsync("sim/reset", null);
        using var afterReset = await client.PostMessagesAsync(body);
        ids.Add((await afterReset.JsonAsync()).GetProperty("content")[1].GetProperty("id").GetString());

        Assert.Equal(["toolu_000000000000000000000001", "toolu_000000000000000000000002", "toolu_000000000000000000000001"], ids);
    }

    [Theory]
    [InlineData("""[{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_x","content":"r"}]}]""",
        "messages.0.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_x. Each `tool_result` block must have a corresponding `tool_use` block in an earlier `assistant` message.")]
    [InlineData("""[{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_a","name":"get_time","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_b"}]}]""",
        "messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_b. Each `tool_result` block must have a corresponding `tool_use` block in an earlier `assistant` message.")]
    [InlineData("""[{"role":"user","content":[{"type":"tool_use","id":"toolu_a","name":"get_time","input":{}}]}]""",
        "messages.0.content.0: `tool_use` blocks can only be in `assistant` messages")]
    [InlineData("""[{"role":"user","content":"q"},{"content":[{"type":"tool_result","tool_use_id":"toolu_a"}],"role":"assistant"}]""",
        "messages.1.content.0: `tool_result` blocks can only be in `user` messages")]
    [InlineData("""[{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"tool_use","name":"get_time","input":{}}]}]""",
        "messages.1.content.0.id: Field required")]
    [InlineData("""[{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"get_time","input":"{}"}]}]""",
        "messages.1.content.0.input: Input should be a valid dictionary")]
    [InlineData("""[{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"n","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"tool_use"}]}]}]""",
        "messages.2.content.0.content.0.type: Input tag 'tool_use' found using 'type' does not match any of the expected tags: 'text', 'image'")]
    [InlineData("""[{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"n","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","is_error":"yes"}]}]""",
        "messages.2.content.0.is_error: Input should be a valid boolean")]
    public async Task Misplaced_or_dangling_tool_blocks_are_refused(string messages, string message)
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = AnthropicSimClient.Create(sim);

        using var response = await client.PostMessagesAsync($$"""{"model":"sim-small","max_tokens":10,"messages":{{messages}}}""");

        await AnthropicSimClient.AssertErrorAsync(response, 400, "invalid_request_error", message);
        Assert.Equal(1, sim.State.BadRequests);
    }

    [Theory]
    [InlineData(""","tool_choice":{"type":"auto"}""", "tool_choice: tool_choice may only be specified while providing tools")]
    [InlineData(""","tools":[{"name":"a","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool","name":"b"}""", "tool_choice.name: tool 'b' is not one of the request's tools")]
    [InlineData(""","tools":[{"name":"a","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool"}""", "tool_choice.name: Field required")]
    [InlineData(""","tools":[{"name":"a","input_schema":{"type":"object"}}],"tool_choice":{"type":"some"}""", "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'")]
    [InlineData(""","tools":[{"name":"a","input_schema":{"type":"object"}}],"tool_choice":{"name":"a"}""", "tool_choice.type: Field required")]
    [InlineData(""","tools":[{"name":"a b","input_schema":{"type":"object"}}]""", "tools.0.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'")]
    [InlineData(""","tools":[{"name":"a"}]""", "tools.0.input_schema: Field required")]
    [InlineData(""","tools":[{"input_schema":{"type":"object"}}]""", "tools.0.name: Field required")]
    [InlineData(""","tools":[{"name":"a","input_schema":{"type":"array"}}]""", "tools.0.input_schema.type: Input should be 'object'")]
    [InlineData(""","tools":[{"name":"a","input_schema":{"properties":{}}}]""", "tools.0.input_schema.type: Field required")]
    [InlineData(""","tools":[{"name":"a","input_schema":{"type":"object","required":[1]}}]""", "tools.0.input_schema.required.0: Input should be a valid string")]
    [InlineData(""","tools":[{"name":"a","input_schema":{"type":"object"}},{"name":"a","input_schema":{"type":"object"}}]""", "tools: Tool names must be unique ('a' is given twice)")]
    [InlineData(""","tools":[{"type":"web_search_20250305","name":"web_search"}]""", "tools.0.type: the simulator serves only custom tools (type 'custom' or none)")]
    [InlineData(""","tools":{}""", "tools: Input should be a valid list")]
    public async Task Bad_tools_and_tool_choice_are_refused(string extra, string message)
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = AnthropicSimClient.Create(sim);

        using var response = await client.PostMessagesAsync(AnthropicSimClient.Body("q", extra: extra));

        await AnthropicSimClient.AssertErrorAsync(response, 400, "invalid_request_error", message);
    }
}
