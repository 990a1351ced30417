using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Parley.Silo.Tests.Auth.Signing;

/// <summary>A caller's side of signed requests, written from the documented scheme (docs/auth.md), not from the silo's
/// code: HMAC-SHA256 keyed by the signing secret's UTF-8 over
/// <c>v1\nMETHOD\npath?query\ntimestamp\nnonce\nhex(sha256(body))</c>.</summary>
internal static class RequestSigner
{
    public static HttpRequestMessage Signed(string signingSecret, HttpMethod method, string target, string? body,
        long? timestamp = null, string? nonce = null, string? signedBody = null, string? signedTarget = null, string? signedMethod = null)
    {
        var ts = timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var n = nonce ?? NewNonce();
        var request = new HttpRequestMessage(method, target.TrimStart('/'));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        var canonical = string.Join('\n', "v1", signedMethod ?? method.Method, signedTarget ?? target,
            ts.ToString(CultureInfo.InvariantCulture), n, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(signedBody ?? body ?? ""))));
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(signingSecret), Encoding.UTF8.GetBytes(canonical));
        request.Headers.Add("X-Parley-Timestamp", ts.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("X-Parley-Nonce", n);
        request.Headers.Add("X-Parley-Signature", "v1=" + Convert.ToHexStringLower(mac));
        return request;
    }

    /// <summary>A copy of a request, headers and body, to send again.</summary>
    public static async Task<HttpRequestMessage> CopyAsync(HttpRequestMessage original)
    {
        var copy = new HttpRequestMessage(original.Method, original.RequestUri);
        foreach (var (name, values) in original.Headers)
        {
            copy.Headers.TryAddWithoutValidation(name, values);
        }
        if (original.Content is not null)
        {
            copy.Content = new StringContent(await original.Content.ReadAsStringAsync(), Encoding.UTF8, "application/json");
        }
        return copy;
    }

    public static string NewNonce() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
