using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Parley.Silo.Auth.Sessions;
using Xunit;

namespace Parley.Silo.Tests.Dashboard;

/// <summary>An HTTP client that behaves like a browser as far as these tests need: it keeps cookies (and every
/// Set-Cookie header it was sent, so tests can read their attributes), sends <c>Accept: text/html</c> for pages, and
/// follows no redirect by itself.</summary>
public sealed partial class BrowserClient : IDisposable
{
    private const string PageAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    private readonly HttpClient _http;
    private readonly Dictionary<string, string> _cookies = new(StringComparer.Ordinal);

    public BrowserClient(Uri baseAddress)
    {
        _http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    /// <summary>Every Set-Cookie header received, in order.</summary>
    public List<string> SetCookieHeaders { get; } = [];

    public IReadOnlyDictionary<string, string> Cookies => _cookies;

    public string? SessionCookie => _cookies.GetValueOrDefault(AdminSessions.CookieName);

    /// <summary>Sets a cookie as if the browser had it (e.g. one taken from another client).</summary>
    public void SetCookie(string name, string value) => _cookies[name] = value;

    /// <summary>A page load: GET with a browser's Accept header.</summary>
    public Task<HttpResponseMessage> OpenPageAsync(string path) => SendAsync(new HttpRequestMessage(HttpMethod.Get, path), PageAccept);

    /// <summary>What the dashboard's own script does: GET asking for JSON.</summary>
    public Task<HttpResponseMessage> FetchJsonAsync(string path) => SendAsync(new HttpRequestMessage(HttpMethod.Get, path), "application/json");

    public Task<HttpResponseMessage> PostFormAsync(string path, IEnumerable<KeyValuePair<string, string>> fields)
        => SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(fields) }, PageAccept);

    /// <summary>What a page's script does: a request with a JSON body (or none), extra headers, asking for JSON.</summary>
    public Task<HttpResponseMessage> SendJsonAsync(HttpMethod method, string path, string? json = null, IReadOnlyDictionary<string, string>? headers = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.Add(name, value);
        }
        return SendAsync(request, "application/json");
    }

    /// <summary>Opens a form page and returns its antiforgery token.</summary>
    public async Task<string> GetFormTokenAsync(string path)
    {
        using var page = await OpenPageAsync(path);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        return FormToken(await page.Content.ReadAsStringAsync());
    }

    /// <summary>Signs in as a person would: opens the sign-in page, fills in the key, submits.</summary>
    public async Task<HttpResponseMessage> SignInAsync(string key, string? returnUrl = null)
    {
        var token = await GetFormTokenAsync(AdminSessions.SignInPath);
        var fields = new Dictionary<string, string> { [AdminSessions.AntiforgeryFieldName] = token, ["key"] = key };
        if (returnUrl is not null)
        {
            fields[AdminSessions.ReturnUrlParameter] = returnUrl;
        }
        return await PostFormAsync(AdminSessions.SignInPath, fields);
    }

    public async Task<HttpResponseMessage> SignOutAsync()
    {
        var token = await GetFormTokenAsync(AdminSessions.SignOutPath);
        return await PostFormAsync(AdminSessions.SignOutPath, new Dictionary<string, string> { [AdminSessions.AntiforgeryFieldName] = token });
    }

    public static string FormToken(string html)
    {
        var match = TokenInput().Match(html);
        Assert.True(match.Success, "The page has no antiforgery token field.");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    /// <summary>The Set-Cookie headers received for <paramref name="name"/>.</summary>
    public IEnumerable<string> SetCookiesFor(string name) => SetCookieHeaders.Where(h => h.StartsWith(name + "=", StringComparison.Ordinal));

    public void Dispose() => _http.Dispose();

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string accept)
    {
        using (request)
        {
            request.Headers.Accept.ParseAdd(accept);
            if (_cookies.Count > 0)
            {
                request.Headers.Add("Cookie", string.Join("; ", _cookies.Select(c => $"{c.Key}={c.Value}")));
            }
            var response = await _http.SendAsync(request);
            if (response.Headers.TryGetValues("Set-Cookie", out var values))
            {
                foreach (var header in values)
                {
                    SetCookieHeaders.Add(header);
                    Store(header);
                }
            }
            return response;
        }
    }

    private void Store(string header)
    {
        var nameValue = header.Split(';', 2)[0];
        var equals = nameValue.IndexOf('=', StringComparison.Ordinal);
        var name = nameValue[..equals].Trim();
        var value = nameValue[(equals + 1)..].Trim();
        var expired = header.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase);
        if (value.Length == 0 || expired)
        {
            _cookies.Remove(name);
        }
        else
        {
            _cookies[name] = value;
        }
    }

    [GeneratedRegex(@"name=""__RequestVerificationToken"" value=""([^""]*)""", RegexOptions.CultureInvariant)]
    private static partial Regex TokenInput();
}

/// <summary>Shorthands for answers.</summary>
public static class Answers
{
    public static string? Location(this HttpResponseMessage response) => response.Headers.Location?.OriginalString;

    public static MediaTypeHeaderValue? MediaType(this HttpResponseMessage response) => response.Content.Headers.ContentType;
}
