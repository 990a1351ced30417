using Microsoft.AspNetCore.Http;
using Parley.Silo.Cache;
using Xunit;
using static Parley.Silo.Tests.Cache.CacheTestKit;

namespace Parley.Silo.Tests.Cache;

/// <summary>When <see cref="ResponseCache.Begin"/> turns the cache on, and with which key.</summary>
public sealed class ResponseCachePolicyTests
{
    private const string Deterministic = """{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0}""";
    private const string NoTemperature = """{"model":"m","messages":[{"role":"user","content":"hi"}]}""";

    [Fact]
    public void An_explicit_temperature_0_is_cached_by_default_with_the_users_key()
    {
        var request = Create().Begin(Deterministic);
        Assert.NotNull(request);
        Assert.Equal(Key(Deterministic, UserA), request.Key);
        Assert.False(request.SkipLookup);
    }

    [Theory]
    [InlineData(NoTemperature)]
    [InlineData("""{"model":"m","messages":[],"temperature":null}""")]
    [InlineData("""{"model":"m","messages":[],"temperature":0.5}""")]
    [InlineData("""{"model":"m","messages":[],"temperature":0.0001}""")]
    public void Sampling_requests_are_not_cached_by_default(string body)
        => Assert.Null(Create().Begin(body));

    [Theory]
    [InlineData("""{"temperature":0.5}""", true)]
    [InlineData("""{"temperature":0.7}""", true)]
    [InlineData("""{"temperature":0.71}""", false)]
    [InlineData("""{"temperature":1}""", false)]
    [InlineData("""{}""", false)]
    public void The_threshold_is_inclusive(string body, bool cached)
    {
        var cache = Create(new ResponseCacheOptions { MaxTemperature = 0.7 });
        Assert.Equal(cached, cache.Begin(body) is not null);
    }

    [Fact]
    public void A_threshold_of_1_caches_requests_without_a_temperature()
        => Assert.NotNull(Create(new ResponseCacheOptions { MaxTemperature = 1.0 }).Begin(NoTemperature));

    [Theory]
    [InlineData("no-store")]
    [InlineData("No-Store")]
    [InlineData("max-age=0, no-store")]
    [InlineData(" no-store ,no-cache")]
    public void No_store_turns_the_cache_off(string cacheControl)
        => Assert.Null(Create().Begin(Deterministic, cacheControl: cacheControl));

    [Fact]
    public void No_store_in_a_second_header_value_turns_the_cache_off()
        => Assert.Null(Create().Begin(Deterministic, UserA, false, "max-age=0", "no-store"));

    [Theory]
    [InlineData("no-cache")]
    [InlineData("NO-CACHE")]
    [InlineData("max-age=0,no-cache")]
    public void No_cache_skips_the_lookup_but_keeps_the_key(string cacheControl)
    {
        var request = Create().Begin(Deterministic, cacheControl: cacheControl);
        Assert.NotNull(request);
        Assert.True(request.SkipLookup);
        Assert.Equal(Key(Deterministic, UserA), request.Key);
    }

    [Theory]
    [InlineData("max-age=0")]
    [InlineData("no-storex")]
    [InlineData("private")]
    public void Other_directives_change_nothing(string cacheControl)
    {
        var request = Create().Begin(Deterministic, cacheControl: cacheControl);
        Assert.NotNull(request);
        Assert.False(request.SkipLookup);
    }

    [Fact]
    public void A_conversation_with_redacted_data_is_not_cached()
        => Assert.Null(Create().Begin(Deterministic, redacted: true));

    [Fact]
    public void A_disabled_cache_is_off_for_every_request()
        => Assert.Null(Create(new ResponseCacheOptions { Enabled = false }).Begin(Deterministic));

    [Fact]
    public void An_unparsable_body_is_not_cached()
        => Assert.Null(Create().Begin("not json"));

    [Fact]
    public void Global_scope_gives_every_user_the_same_key()
    {
        var cache = Create(new ResponseCacheOptions { Scope = ResponseCacheScope.Global });
        Assert.Equal(cache.Begin(Deterministic, UserA)!.Key, cache.Begin(Deterministic, UserB)!.Key);
        Assert.Equal(Key(Deterministic, scopeUserId: null), cache.Begin(Deterministic, UserA)!.Key);
    }

    [Fact]
    public void User_scope_gives_each_user_their_own_key()
    {
        var cache = Create();
        Assert.NotEqual(cache.Begin(Deterministic, UserA)!.Key, cache.Begin(Deterministic, UserB)!.Key);
    }

    [Fact]
    public void A_request_validated_with_a_temperature_above_the_maximum_is_not_cached_and_its_body_not_read()
    {
        var cache = Create(new ResponseCacheOptions { MaxTemperature = 0.5 });
        // The body alone would be cached (temperature 0); the temperature the request was validated with decides first.
        Assert.Null(cache.Begin(new HeaderDictionary(), "{\"temperature\":0}"u8, 0.7, UserA, false));
        Assert.NotNull(cache.Begin(new HeaderDictionary(), "{\"temperature\":0}"u8, 0.5, UserA, false));
        Assert.NotNull(cache.Begin(new HeaderDictionary(), "{\"temperature\":0}"u8, double.NaN, UserA, false));
        // At or below the maximum the body still decides: its own temperature is above it.
        Assert.Null(cache.Begin(new HeaderDictionary(), "{\"temperature\":0.9}"u8, 0.0, UserA, false));
    }
}
