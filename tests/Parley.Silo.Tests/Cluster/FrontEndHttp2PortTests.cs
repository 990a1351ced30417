using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Parley.Silo.Hosting;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Cluster;

/// <summary><c>Parley:Cluster:FrontEndHttp2Port</c>: the same API on a second port over cleartext HTTP/2 (prior
/// knowledge), for the front end, with the same authentication; the API port keeps HTTP/1.1.</summary>
public sealed class FrontEndHttp2PortTests
{
    [Fact]
    public async Task The_front_end_port_serves_the_api_over_http2_with_its_auth_and_the_api_port_keeps_http1()
    {
        var port = 0;
        await using var harness = await SiloHarness.StartAsync(settings =>
        {
            port = FreePort.Next();
            settings["Parley:Cluster:FrontEndHttp2Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        });
        var (_, key) = await harness.CreateUserAsync("h2");
        using var http2 = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };

        using var models = await http2.SendAsync(Request(HttpMethod.Get, "v1/models", key));
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        Assert.Equal(HttpVersion.Version20, models.Version);
        Assert.Contains(SiloHarness.Model, await models.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var chat = Request(HttpMethod.Post, "v1/chat/completions", key);
        chat.Content = new StringContent($$"""{"model":"{{SiloHarness.Model}}","messages":[{"role":"user","content":"Hi"}]}""",
            System.Text.Encoding.UTF8, "application/json");
        using var answered = await http2.SendAsync(chat);
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Equal(HttpVersion.Version20, answered.Version);

        using var anonymous = await http2.SendAsync(Request(HttpMethod.Get, "v1/models", key: null));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        using var api = await harness.CreateClient(key).GetAsync("v1/models");
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        Assert.Equal(HttpVersion.Version11, api.Version);
    }

    [Fact]
    public void A_front_end_port_in_use_is_one_line_naming_the_setting_before_anything_starts()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = $"http://127.0.0.1:{FreePort.Next()}",
            ["Parley:Telemetry:Metrics:Enabled"] = "false",
            ["Parley:Cluster:FrontEndHttp2Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }).Build();

        var error = Assert.Throws<PortInUseException>(() => PortPreflight.Check(configuration));

        Assert.StartsWith($"The front end's HTTP/2 port {port} (http://127.0.0.1:{port}) is already in use", error.Message, StringComparison.Ordinal);
        Assert.Contains("Parley__Cluster__FrontEndHttp2Port=", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(65536)]
    [InlineData(11111)]
    [InlineData(30000)]
    public void The_front_end_port_must_be_none_or_a_port_of_its_own(int port)
    {
        var result = new SiloClusterOptionsValidator().Validate(null, new SiloClusterOptions { FrontEndHttp2Port = port });

        Assert.True(result.Failed);
        Assert.Contains("Parley:Cluster:FrontEndHttp2Port", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new SiloClusterOptionsValidator().Validate(null, new SiloClusterOptions { FrontEndHttp2Port = 0 }).Succeeded);
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, string? key)
    {
        var request = new HttpRequestMessage(method, path) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        if (key is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }
        return request;
    }
}
