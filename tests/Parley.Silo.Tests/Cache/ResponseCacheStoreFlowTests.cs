using System.IO.Pipelines;
using System.Text;
using Parley.Silo.Cache;
using Parley.Testing;
using Xunit;
using static Parley.Silo.Tests.Cache.CacheTestKit;

namespace Parley.Silo.Tests.Cache;

/// <summary>Lookup, record and store as the chat handler drives them.</summary>
public sealed class ResponseCacheStoreFlowTests
{
    private const string Request = """{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0}""";
    private const string Completion = """{"id":"chatcmpl-1","choices":[{"message":{"role":"assistant","content":"hello"}}]}""";
    private const string Stream = "data: {\"id\":\"c\"}\n\ndata: [DONE]\n\n";

    private static async Task<CachedResponse?> MissThenStoreAsync(ResponseCache cache, string body, string contentType, Func<Stream, Task>? relay = null)
    {
        var request = cache.Begin(Request)!;
        Assert.Null(await cache.LookupAsync(request, CancellationToken.None));
        var recording = cache.Record(request, new MemoryStream(Encoding.UTF8.GetBytes(body)));
        await (relay ?? (s => DrainAsync(s)))(recording);
        await cache.StoreAsync(request, recording, contentType, CancellationToken.None);
        Assert.Equal(0, recording.RecordedLength);
        return await cache.LookupAsync(cache.Begin(Request)!, CancellationToken.None);
    }

    [Fact]
    public async Task A_complete_json_answer_is_stored_and_then_hit_with_the_exact_bytes()
    {
        var hit = await MissThenStoreAsync(Create(), Completion, Json);
        Assert.NotNull(hit);
        Assert.Equal(Json, hit.ContentType);
        Assert.False(hit.IsEventStream);
        Assert.Equal(Completion, Encoding.UTF8.GetString(hit.Body));
        Assert.Equal(Completion, Encoding.UTF8.GetString(await DrainAsync(hit.OpenRead())));
    }

    [Fact]
    public async Task A_stream_read_through_a_pipe_reader_is_stored_whole()
    {
        // The relays read through a PipeReader, which disposes the stream when it completes.
        static async Task ViaPipe(Stream s)
        {
            var reader = PipeReader.Create(s);
            while (true)
            {
                var result = await reader.ReadAsync();
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
            await reader.CompleteAsync();
        }
        var hit = await MissThenStoreAsync(Create(), Stream, "text/event-stream; charset=utf-8", ViaPipe);
        Assert.NotNull(hit);
        Assert.True(hit.IsEventStream);
        Assert.Equal(Stream, Encoding.UTF8.GetString(hit.Body));
    }

    [Fact]
    public async Task An_answer_over_MaxEntryBytes_is_not_stored()
    {
        var cache = Create(new ResponseCacheOptions { MaxEntryBytes = Completion.Length - 1 });
        Assert.Null(await MissThenStoreAsync(cache, Completion, Json));
        var exact = Create(new ResponseCacheOptions { MaxEntryBytes = Completion.Length });
        Assert.NotNull(await MissThenStoreAsync(exact, Completion, Json));
    }

    [Fact]
    public async Task An_answer_not_read_to_its_end_is_not_stored()
    {
        var cache = Create();
        Assert.Null(await MissThenStoreAsync(cache, Completion, Json, async s => await s.ReadExactlyAsync(new byte[10])));
    }

    [Theory]
    [InlineData("data: {\"id\":\"c\"}\n\n")]
    [InlineData("data: [DONE]\n\ndata: {\"id\":\"c\"}\n\n")]
    public async Task A_stream_that_does_not_end_with_done_is_not_stored(string stream)
        => Assert.Null(await MissThenStoreAsync(Create(), stream, EventStream));

    [Fact]
    public async Task An_empty_answer_is_not_stored()
        => Assert.Null(await MissThenStoreAsync(Create(), "", Json));

    [Fact]
    public async Task No_cache_skips_the_lookup_and_still_stores()
    {
        var cache = Create();
        Assert.NotNull(await MissThenStoreAsync(cache, Completion, Json));
        var fresh = cache.Begin(Request, cacheControl: "no-cache")!;
        Assert.Null(await cache.LookupAsync(fresh, CancellationToken.None));
        var recording = cache.Record(fresh, new MemoryStream(Encoding.UTF8.GetBytes("{\"id\":\"new\"}")));
        await DrainAsync(recording);
        await cache.StoreAsync(fresh, recording, Json, CancellationToken.None);
        var hit = await cache.LookupAsync(cache.Begin(Request)!, CancellationToken.None);
        Assert.Equal("{\"id\":\"new\"}", Encoding.UTF8.GetString(hit!.Body));
    }

    [Fact]
    public async Task Entries_expire_after_the_ttl()
    {
        var time = new ManualTimeProvider();
        var cache = Create(new ResponseCacheOptions { Ttl = TimeSpan.FromMinutes(10) }, time: time);
        Assert.NotNull(await MissThenStoreAsync(cache, Completion, Json));
        time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(1));
        Assert.NotNull(await cache.LookupAsync(cache.Begin(Request)!, CancellationToken.None));
        time.Advance(TimeSpan.FromTicks(1));
        Assert.Null(await cache.LookupAsync(cache.Begin(Request)!, CancellationToken.None));
    }

    [Fact]
    public async Task A_failing_store_is_a_miss_and_storing_into_it_does_not_throw()
    {
        var store = new BrokenStore(hang: false);
        var cache = Create(store: store);
        Assert.Null(await MissThenStoreAsync(cache, Completion, Json));
        Assert.Equal(3, store.Calls);
    }

    [Fact]
    public async Task A_hanging_store_is_a_miss_once_the_operation_timeout_passes()
    {
        var time = new ManualTimeProvider();
        var store = new BrokenStore(hang: true);
        var cache = Create(new ResponseCacheOptions { OperationTimeout = TimeSpan.FromMilliseconds(500) }, store, time);
        var request = cache.Begin(Request)!;
        var lookup = cache.LookupAsync(request, CancellationToken.None).AsTask();
        Assert.False(lookup.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Null(await lookup.WaitAsync(TimeSpan.FromSeconds(10)));

        var recording = cache.Record(request, new MemoryStream(Encoding.UTF8.GetBytes(Completion)));
        await DrainAsync(recording);
        var storing = cache.StoreAsync(request, recording, Json, CancellationToken.None).AsTask();
        Assert.False(storing.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(500));
        await storing.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_cancelled_request_is_a_miss()
    {
        var cache = Create(store: new BrokenStore(hang: true));
        using var cts = new CancellationTokenSource();
        var lookup = cache.LookupAsync(cache.Begin(Request)!, cts.Token).AsTask();
        await cts.CancelAsync();
        Assert.Null(await lookup.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
