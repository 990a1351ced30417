using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Parley.Cli.Tests.Infrastructure;
using Parley.Oidc.Testing;
using Parley.Silo.Auth.Oidc;
using Parley.Testing;

namespace Parley.Cli.Tests.Login;

/// <summary>`parley login --oidc` against a real OpenIddict issuer and a real silo, with a real Secret Service: the
/// device code flow (the test approves the user code at the issuer, as the person would), the authorization code flow
/// with PKCE (the test follows the authorization redirect to the CLI's loopback listener, as the browser would), tokens
/// only in the keyring and renewed with the refresh token, and logout revoking it at the issuer.</summary>
public sealed partial class OidcLoginTests(OidcCliSilo fixture) : IClassFixture<OidcCliSilo>
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Device_code_login_keeps_refreshable_tokens_in_the_keyring_only_and_logout_revokes_them()
    {
        var home = ParleyProcess.TemporaryHome();
        await using var keyring = await SecretService.StartAsync(home);
        var cli = new ParleyProcess(home, keyring.BusAddress);

        using var login = Start(cli, ["login", "--oidc", "--server", fixture.Silo.Server, "--issuer", fixture.IssuerUrl]);
        var prompt = await login.WaitForErrorLineAsync(DevicePrompt());
        var code = DevicePrompt().Match(prompt).Groups["code"].Value;
        Assert.StartsWith($"To sign in, open {fixture.Issuer.Url.AbsoluteUri}connect/verify and enter the code ", prompt, StringComparison.Ordinal);
        await fixture.Issuer.ApproveUserCodeAsync(code, "dora");
        var result = await login.WaitForExitAsync();

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal($"Logged in to {fixture.Silo.Server} as profile 'default' (user, signed in at {fixture.IssuerUrl}); the tokens are kept in the OS keyring.\n",
            result.Output);
        var first = await StoredTokensAsync(keyring, "default");
        Assert.False(string.IsNullOrEmpty(first.GetProperty("refresh_token").GetString()));
        AssertNoFileContains(home, first.GetProperty("access_token").GetString()!);
        AssertNoFileContains(home, first.GetProperty("refresh_token").GetString()!);
        var profile = JsonDocument.Parse(File.ReadAllText(Path.Combine(cli.ConfigDirectory, "config.json"))).RootElement.GetProperty("profiles").GetProperty("default");
        Assert.Equal("oidc", profile.GetProperty("credential").GetString());
        Assert.Equal(fixture.IssuerUrl, profile.GetProperty("issuer").GetString());
        Assert.Equal("parley-cli", profile.GetProperty("client_id").GetString());

        // The access token is within the refresh margin: the next command renews it, and is the issuer's person.
        var usage = await cli.RunAsync("usage", "--json");
        Assert.True(usage.ExitCode == 0, usage.ToString());
        Assert.Equal(OidcUserIds.For(fixture.Issuer.Url.AbsoluteUri, "dora"), JsonDocument.Parse(usage.Output).RootElement.GetProperty("user_id").GetString());
        var renewed = await StoredTokensAsync(keyring, "default");
        Assert.NotEqual(first.GetProperty("access_token").GetString(), renewed.GetProperty("access_token").GetString());
        var refreshToken = renewed.GetProperty("refresh_token").GetString()!;
        AssertNoFileContains(home, refreshToken);

        var logout = await cli.RunAsync("logout");
        Assert.True(logout.ExitCode == 0, logout.ToString());
        Assert.Equal("", logout.Error);
        Assert.Null(await keyring.LookupAsync("parley_profile", "default", "parley_secret", "credential"));
        Assert.False(await fixture.Issuer.RefreshTokenWorksAsync(refreshToken));
    }

    [Fact]
    public async Task Browser_login_follows_the_authorization_code_flow_with_pkce_on_a_loopback_redirect()
    {
        var home = ParleyProcess.TemporaryHome();
        await using var keyring = await SecretService.StartAsync(home);
        var cli = new ParleyProcess(home, keyring.BusAddress);
        var port = FreePort.Next();
        await fixture.Issuer.AllowCliRedirectUriAsync($"http://127.0.0.1:{port}/callback");
        fixture.Issuer.BrowserUser = "erik";

        using var login = Start(cli, ["login", "--oidc", "--browser", "--callback-port", port.ToString(), "--profile", "web", "--server", fixture.Silo.Server,
            "--issuer", fixture.IssuerUrl]);
        var line = await login.WaitForErrorLineAsync(BrowserPrompt());
        var authorize = new Uri(BrowserPrompt().Match(line).Groups["url"].Value);
        var query = System.Web.HttpUtility.ParseQueryString(authorize.Query);
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.Equal($"http://127.0.0.1:{port}/callback", query["redirect_uri"]);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", query["code_challenge"]);

        // The browser: the issuer signs erik in and redirects to the CLI's loopback listener with the code.
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var redirect = await browser.GetAsync(authorize);
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        var callback = redirect.Headers.Location!;
        Assert.Equal($"http://127.0.0.1:{port}/callback", callback.GetLeftPart(UriPartial.Path));
        using var forged = await browser.GetAsync($"http://127.0.0.1:{port}/callback?code=stolen&state=wrong");
        Assert.Equal(HttpStatusCode.NotFound, forged.StatusCode);
        using var landed = await browser.GetAsync(callback);
        Assert.Equal(HttpStatusCode.OK, landed.StatusCode);
        Assert.Contains("Signed in to Parley.", await landed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var result = await login.WaitForExitAsync();

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("as profile 'web' (user, signed in at ", result.Output, StringComparison.Ordinal);
        var tokens = await StoredTokensAsync(keyring, "web");
        AssertNoFileContains(home, tokens.GetProperty("refresh_token").GetString()!);
        var usage = await cli.RunAsync("usage", "--json", "--profile", "web");
        Assert.True(usage.ExitCode == 0, usage.ToString());
        Assert.Equal(OidcUserIds.For(fixture.Issuer.Url.AbsoluteUri, "erik"), JsonDocument.Parse(usage.Output).RootElement.GetProperty("user_id").GetString());
    }

    [Fact]
    public async Task A_device_code_nobody_approves_is_not_stored_when_the_login_is_interrupted()
    {
        var home = ParleyProcess.TemporaryHome();
        await using var keyring = await SecretService.StartAsync(home);
        var cli = new ParleyProcess(home, keyring.BusAddress);
        using var login = Start(cli, ["login", "--oidc", "--server", fixture.Silo.Server, "--issuer", fixture.IssuerUrl]);
        await login.WaitForErrorLineAsync(DevicePrompt());
        login.Process.Kill(entireProcessTree: true);
        await login.WaitForExitAsync();
        Assert.Null(await keyring.LookupAsync("parley_profile", "default", "parley_secret", "credential"));
        Assert.False(File.Exists(Path.Combine(cli.ConfigDirectory, "config.json")));
    }

    [GeneratedRegex(@"enter the code (?<code>[A-Za-z0-9-]+) \(valid for")]
    private static partial Regex DevicePrompt();

    [GeneratedRegex(@"^Open this address in a browser to sign in: (?<url>\S+)$")]
    private static partial Regex BrowserPrompt();

    private static async Task<JsonElement> StoredTokensAsync(SecretService keyring, string profile)
    {
        var stored = await keyring.LookupAsync("parley_profile", profile, "parley_secret", "credential");
        Assert.NotNull(stored);
        return JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(stored))).RootElement.Clone();
    }

    private static void AssertNoFileContains(string home, string secret)
    {
        var needle = Encoding.UTF8.GetBytes(secret);
        foreach (var file in Directory.EnumerateFiles(home, "*", SearchOption.AllDirectories))
        {
            Assert.True(File.ReadAllBytes(file).AsSpan().IndexOf(needle) < 0, $"{file} contains a token");
        }
    }

    private static RunningCli Start(ParleyProcess cli, IEnumerable<string> args) => new(Process.Start(cli.StartInfo(args))!);

    /// <summary>A parley process read line by line while it runs (the test answers what it prints).</summary>
    private sealed class RunningCli : IDisposable
    {
        private readonly StringBuilder _error = new();
        private readonly Task<string> _output;
        private readonly Task _errorPump;
        private readonly SemaphoreSlim _newLine = new(0);

        public RunningCli(Process process)
        {
            Process = process;
            process.StandardInput.Close();
            _output = process.StandardOutput.ReadToEndAsync();
            _errorPump = Task.Run(async () =>
            {
                while (await process.StandardError.ReadLineAsync() is { } line)
                {
                    lock (_error)
                    {
                        _error.Append(line).Append('\n');
                    }
                    _newLine.Release();
                }
                _newLine.Release();
            });
        }

        public Process Process { get; }

        public async Task<string> WaitForErrorLineAsync(Regex pattern)
        {
            using var timeout = new CancellationTokenSource(StepTimeout);
            while (true)
            {
                lock (_error)
                {
                    var match = _error.ToString().Split('\n').FirstOrDefault(pattern.IsMatch);
                    if (match is not null)
                    {
                        return match;
                    }
                }
                if (Process.HasExited && _errorPump.IsCompleted)
                {
                    throw new InvalidOperationException($"parley exited before printing {pattern}: {_error}{await _output}");
                }
                await _newLine.WaitAsync(timeout.Token);
            }
        }

        public async Task<CliResult> WaitForExitAsync()
        {
            using var timeout = new CancellationTokenSource(StepTimeout);
            await Process.WaitForExitAsync(timeout.Token);
            await _errorPump;
            lock (_error)
            {
                return new CliResult(Process.ExitCode, _output.Result, _error.ToString());
            }
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
            }
            Process.Dispose();
            _newLine.Dispose();
        }
    }
}
