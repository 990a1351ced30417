using System.Text;
using Parley.Silo.Cache;
using Xunit;
using static Parley.Silo.Tests.Cache.CacheTestKit;

namespace Parley.Silo.Tests.Cache;

public sealed class ResponseCacheKeyTests
{
    private const string Body = """{"model":"gpt-4o","messages":[{"role":"user","content":"Hi there"}],"temperature":0,"stream":false}""";

    [Fact]
    public void Key_is_a_lowercase_hex_sha256()
    {
        var key = Key(Body);
        Assert.Equal(64, key.Length);
        Assert.Matches("^[0-9a-f]{64}$", key);
        Assert.Equal(key, Key(Body));
    }

    [Fact]
    public void Top_level_property_order_does_not_change_the_key()
    {
        const string reordered = """{"stream":false,"temperature":0,"messages":[{"role":"user","content":"Hi there"}],"model":"gpt-4o"}""";
        Assert.Equal(Key(Body), Key(reordered));
    }

    [Fact]
    public void Insignificant_whitespace_does_not_change_the_key()
    {
        const string spaced = "{ \"model\" : \"gpt-4o\",\r\n\t\"messages\": [ { \"role\": \"user\" , \"content\": \"Hi there\" } ],\n \"temperature\" : 0 , \"stream\" :false }\n";
        Assert.Equal(Key(Body), Key(spaced));
    }

    [Fact]
    public void Whitespace_and_escapes_inside_strings_are_significant()
    {
        Assert.NotEqual(Key(Body), Key(Body.Replace("Hi there", "Hi  there")));
        Assert.NotEqual(Key(Body), Key(Body.Replace("Hi there", "Hi\\nthere")));
        // An escaped quote does not end the string: the whitespace after it is still inside and still counts.
        var quoted = """{"messages":[{"content":"say \" a b"}]}""";
        Assert.NotEqual(Key(quoted), Key(quoted.Replace("a b", "ab")));
        Assert.Equal(Key(quoted), Key(quoted.Replace("{\"content\"", "{ \"content\"")));
    }

    [Theory]
    [InlineData("\"gpt-4o\"", "\"gpt-4o-mini\"")]
    [InlineData("\"Hi there\"", "\"Hi There\"")]
    [InlineData(":0,", ":0.0,")]
    [InlineData("\"stream\":false", "\"stream\":true")]
    [InlineData("\"role\":\"user\"", "\"role\":\"system\"")]
    public void Any_value_change_changes_the_key(string from, string to)
    {
        var changed = Body.Replace(from, to);
        Assert.NotEqual(Body, changed);
        Assert.NotEqual(Key(Body), Key(changed));
    }

    [Fact]
    public void An_added_or_removed_parameter_changes_the_key()
    {
        Assert.NotEqual(Key(Body), Key(Body.TrimEnd('}') + ",\"seed\":1}"));
        Assert.NotEqual(Key(Body), Key(Body.Replace(",\"stream\":false", "")));
        Assert.NotEqual(Key(Body), Key(Body.TrimEnd('}') + ",\"tools\":[]}"));
    }

    [Fact]
    public void Order_inside_values_is_significant()
    {
        const string a = """{"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}]}""";
        const string b = """{"messages":[{"role":"user","content":"b"},{"role":"user","content":"a"}]}""";
        Assert.NotEqual(Key(a), Key(b));
    }

    [Fact]
    public void User_scope_keys_differ_per_user_and_global_scope_is_shared()
    {
        Assert.NotEqual(Key(Body, UserA), Key(Body, UserB));
        Assert.NotEqual(Key(Body, UserA), Key(Body, scopeUserId: null));
        Assert.Equal(Key(Body, scopeUserId: null), Key(Body, scopeUserId: null));
    }

    [Fact]
    public void Many_properties_and_large_bodies_are_handled()
    {
        var builder = new StringBuilder("{");
        for (var i = 99; i >= 0; i--)
        {
            builder.Append("\"p").Append(i.ToString("D3")).Append("\": ").Append(i).Append(", ");
        }
        builder.Append("\"messages\":[{\"content\":\"").Append('x', 200_000).Append("\"}]}");
        var body = builder.ToString();
        var reversed = "{" + string.Join(",", Enumerable.Range(0, 100).Select(i => $"\"p{i:D3}\":{i}"))
            + ",\"messages\":[{\"content\":\"" + new string('x', 200_000) + "\"}]}";
        Assert.Equal(Key(body), Key(reversed));
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("\"text\"")]
    [InlineData("{\"model\":")]
    [InlineData("{\"a\":1} trailing")]
    public void Anything_but_a_json_object_has_no_key(string body)
        => Assert.False(ResponseCacheKey.TryCompute(Encoding.UTF8.GetBytes(body), UserA, double.MaxValue, out _, out _));

    [Theory]
    [InlineData("{}", 1.0)]
    [InlineData("{\"temperature\":null}", 1.0)]
    [InlineData("{\"temperature\":0}", 0.0)]
    [InlineData("{\"temperature\": 0.5 }", 0.5)]
    [InlineData("{\"messages\":[{\"temperature\":0}],\"temperature\":1.7}", 1.7)]
    public void The_temperature_comes_from_the_same_pass(string body, double expected)
    {
        Assert.True(ResponseCacheKey.TryCompute(Encoding.UTF8.GetBytes(body), UserA, double.MaxValue, out _, out var temperature));
        Assert.Equal(expected, temperature);
    }

    [Theory]
    [InlineData("{\"temperature\":0}", 0.0, true)]
    [InlineData("{\"temperature\":0.2}", 0.0, false)]
    [InlineData("{}", 0.0, false)]
    [InlineData("{}", 1.0, true)]
    public void A_temperature_above_the_bound_gives_no_key(string body, double maxTemperature, bool keyed)
    {
        Assert.Equal(keyed, ResponseCacheKey.TryCompute(Encoding.UTF8.GetBytes(body), UserA, maxTemperature, out var key, out _));
        Assert.Equal(keyed, key.Length > 0);
    }
}
