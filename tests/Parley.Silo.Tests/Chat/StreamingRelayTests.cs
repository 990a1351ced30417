using System.Net;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Chat;

/// <summary>Streaming is relayed as it is produced, and a client that leaves stops the upstream work.</summary>
public sealed class StreamingRelayTests(StreamingRelayTests.Fixture fixture) : IClassFixture<StreamingRelayTests.Fixture>
{
    public sealed class Fixture : SiloFixture
    {
        // About two seconds per answer: the first chunk is out long before the last one is produced.
        protected override void ConfigureSimulator(Sim.Hosting.SimulatorOptions options)
        {
            options.ResponseTokens = 40;
            options.TokensPerSecond = 20;
        }
    }

    [Fact]
    public async Task The_first_chunk_reaches_the_client_while_the_upstream_is_still_generating()
    {
        using var response = await fixture.Client.PostChatAsync(Bodies.Simple(stream: true), completion: HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        Assert.StartsWith("data: {", await reader.ReadLineAsync());
        Assert.Equal(1, fixture.Harness.SimState.InFlight);

        var events = Http.DataEvents(await reader.ReadToEndAsync());
        Assert.Equal("[DONE]", events[^1]);
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_stream_cancels_the_upstream_call()
    {
        var completedBefore = fixture.Harness.SimState.Completed;
        // No draining of the unread response: disposing it closes the connection, as a closed browser tab would.
        using var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = fixture.Harness.SiloUrl };
        client.DefaultRequestHeaders.Authorization = new("Bearer", fixture.Key);
        var response = await client.PostChatAsync(Bodies.Simple(stream: true), completion: HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        using (var reader = new StreamReader(stream))
        {
            Assert.StartsWith("data: {", await reader.ReadLineAsync());
        }
        response.Dispose();

        // The simulator sees its request aborted well before the two seconds the answer would take.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(1.5);
        while (fixture.Harness.SimState.InFlight != 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }
        Assert.Equal(0, fixture.Harness.SimState.InFlight);
        Assert.Equal(completedBefore, fixture.Harness.SimState.Completed);
    }
}
