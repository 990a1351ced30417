using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Hostile;

/// <summary>The exact answers to the hostile inputs that used to get a 5xx (issue 11), one class each.</summary>
public sealed class HostileCaseTests(HostileFixture fixture) : IClassFixture<HostileFixture>
{
    private HttpClient Admin => fixture.Harness.CreateClient(fixture.Harness.AdminKey);
    private HttpClient User => fixture.Harness.CreateClient(fixture.UserKey);

    private static ByteArrayContent Raw(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    [Fact]
    public async Task ALoneSurrogateInAStringValueIs400InvalidEncoding()
    {
        using var response = await Admin.PostAsync("admin/users", Raw("""{"name":"a\ud800b"}"""u8.ToArray()));
        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_encoding");
        Assert.Contains("lone surrogate", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task InvalidUtf8InAPropertyNameIs400InvalidEncodingWithItsOffset()
    {
        using var response = await Admin.PostAsync("admin/users", Raw([.. "{\""u8, 0xFF, .. "\":1}"u8]));
        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_encoding");
        Assert.Contains("byte offset 2", error.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("model")]
    [InlineData("content")]
    public async Task ALoneSurrogateInAChatMessageIs400(string where)
    {
        var body = where == "model"
            ? """{"model":"\udc00","messages":[{"role":"user","content":"hi"}]}"""
            : $$"""{"model":"{{SiloHarness.Model}}","messages":[{"role":"user","content":"hi \ud83d"}]}""";
        using var response = await User.PostAsync(Http.ChatPath, Raw(Encoding.UTF8.GetBytes(body)));
        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_encoding");
    }

    [Theory]
    [InlineData("ZZ\r\n{}\r\n0\r\n\r\n")]
    [InlineData("FFFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n")]
    public async Task AMalformedChunkedBodyIs400InvalidBody(string chunked)
    {
        var head = $"POST /admin/users HTTP/1.1\r\nAuthorization: Bearer {fixture.Harness.AdminKey}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked";
        var response = await RawHttp.SendAsync(fixture.Harness.SiloUrl, Encoding.ASCII.GetBytes(head), Encoding.ASCII.GetBytes(chunked), halfClose: false);
        Assert.Equal(400, response.Status);
        Assert.StartsWith("application/json", response.Header("Content-Type"));
        Assert.Contains("\"code\":\"invalid_body\"", Encoding.UTF8.GetString(response.Body));
    }

    [Theory]
    [InlineData("max_tokens", "2147483647")]
    [InlineData("max_tokens", "2147483648")]
    [InlineData("max_completion_tokens", "1073741824")]
    public async Task AReplyLimitNoWindowCanHoldIs400NotA429(string field, string value)
    {
        foreach (var conversation in new[] { "", $",\"conversation\":\"{fixture.ConversationId}\"" })
        {
            var body = $$"""{"model":"{{SiloHarness.Model}}","messages":[{"role":"user","content":"hi"}],"{{field}}":{{value}}{{conversation}}}""";
            using var response = await User.PostAsync(Http.ChatPath, Raw(Encoding.UTF8.GetBytes(body)));
            var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_value", field);
            Assert.DoesNotContain("-", error.GetProperty("message").GetString()!.Replace(field, "", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task TheLargestAcceptedReplyLimitStillAnswers()
    {
        var body = $$"""{"model":"{{SiloHarness.Model}}","messages":[{"role":"user","content":"hi"}],"max_tokens":1073741823}""";
        using var response = await User.PostAsync(Http.ChatPath, Raw(Encoding.UTF8.GetBytes(body)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ADuplicateKeyIs400InvalidJsonSoNoCheckSeesAnotherValueThanTheUpstream()
    {
        var body = $$"""{"model":"{{SiloHarness.Model}}","messages":[{"role":"user","content":"hi"}],"messages":[{"role":"user","content":"other"}]}""";
        using var response = await User.PostAsync(Http.ChatPath, Raw(Encoding.UTF8.GetBytes(body)));
        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_json");
        Assert.Contains("messages", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task NestingTenThousandDeepIs400InvalidJson()
    {
        var body = "{\"name\":" + new string('[', 10_000) + new string(']', 10_000) + "}";
        using var response = await Admin.PostAsync("admin/users", Raw(Encoding.ASCII.GetBytes(body)));
        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_json");
    }

    [Fact]
    public async Task AContentPartWhoseTypeIsNotAStringIs400()
    {
        var body = $$"""{"model":"{{SiloHarness.Model}}","messages":[{"role":"user","content":[{"type":1,"text":"hi"}]}]}""";
        using var response = await User.PostAsync(Http.ChatPath, Raw(Encoding.UTF8.GetBytes(body)));
        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_type", "messages[0].content[0].type");
    }
}
