using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace Parley.Bench.Gateway;

/// <summary>Sends chat completions at a target: open loop at a fixed rate (for latency at a given load) or closed
/// loop with N concurrent callers (for peak throughput). Every response body is read to the end, so a streamed
/// answer counts until its last chunk. Given conversations, each request continues the next one in turn (named by the
/// body's <c>conversation</c> field, as a client would), so every conversation grows by the same number of turns.</summary>
internal sealed class LoadGenerator : IDisposable
{
    private const string Prompt = "Say hello in five words.";
    private readonly HttpClient _http;
    private readonly byte[][] _plainBodies;
    private readonly byte[][] _streamBodies;
    private readonly string _key;
    private int _next = -1;

    public LoadGenerator(Uri baseAddress, string key, string model, IReadOnlyList<string>? conversations = null)
    {
        _key = key;
        _http = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            MaxConnectionsPerServer = 512,
            UseCookies = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
        // Bodies are made once: the generator must not allocate per request more than the client library does.
        string[] named = conversations is { Count: > 0 } ? [.. conversations.Select(c => $",\"conversation\":\"{c}\"")] : [""];
        _plainBodies = [.. named.Select(c => Encoding.UTF8.GetBytes($$"""{"model":"{{model}}"{{c}},"messages":[{"role":"user","content":"{{Prompt}}"}],"max_tokens":16}"""))];
        _streamBodies = [.. named.Select(c => Encoding.UTF8.GetBytes($$"""{"model":"{{model}}"{{c}},"messages":[{"role":"user","content":"{{Prompt}}"}],"max_tokens":16,"stream":true}"""))];
    }

    public async Task<LatencySummary> OpenLoopAsync(bool stream, int ratePerSecond, TimeSpan duration)
    {
        var total = (int)(ratePerSecond * duration.TotalSeconds);
        var recorder = new LatencyRecorder(total);
        var pending = new Task[total];
        var interval = Stopwatch.Frequency / (double)ratePerSecond;
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < total; i++)
        {
            // Sleep, never spin, until the request is due: a spinning generator holds a core the servers under test
            // need (on two cores, half the machine). A wake-up sends everything that has come due since, so the rate
            // holds; a request sent up to a millisecond late is timed from when it is sent.
            var due = start + (long)(i * interval);
            var early = due - Stopwatch.GetTimestamp();
            if (early > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, early * 1000 / Stopwatch.Frequency)));
            }

            pending[i] = SendOneAsync(stream, recorder);
        }

        await Task.WhenAll(pending);
        return recorder.Summarise(Stopwatch.GetElapsedTime(start));
    }

    public async Task<LatencySummary> ClosedLoopAsync(bool stream, int concurrency, TimeSpan duration)
    {
        var recorder = new LatencyRecorder(2_000_000);
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = new Task[concurrency];
        for (var w = 0; w < concurrency; w++)
        {
            workers[w] = Task.Run(async () =>
            {
                while (Stopwatch.GetTimestamp() < end)
                {
                    await SendOneAsync(stream, recorder);
                }
            });
        }

        await Task.WhenAll(workers);
        return recorder.Summarise(Stopwatch.GetElapsedTime(start));
    }

    private async Task SendOneAsync(bool stream, LatencyRecorder recorder)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
            {
                Content = new ByteArrayContent(NextBody(stream ? _streamBodies : _plainBodies)),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _key);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await using var body = await response.Content.ReadAsStreamAsync();
            await body.CopyToAsync(Stream.Null);
            if (!response.IsSuccessStatusCode)
            {
                recorder.RecordFailure();
                return;
            }

            recorder.Record(Stopwatch.GetTimestamp() - started);
        }
        catch (HttpRequestException)
        {
            recorder.RecordFailure();
        }
        catch (TaskCanceledException)
        {
            recorder.RecordFailure();
        }
    }

    private byte[] NextBody(byte[][] bodies) => bodies[(int)((uint)Interlocked.Increment(ref _next) % (uint)bodies.Length)];

    public void Dispose() => _http.Dispose();
}
