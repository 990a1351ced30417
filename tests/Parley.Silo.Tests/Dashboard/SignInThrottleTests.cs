using System.Net;
using Microsoft.Extensions.Options;
using Parley.Silo.Auth.Sessions;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Dashboard;

/// <summary>Wrong keys are limited per client address: past the limit the sign-in page answers 429 with Retry-After,
/// even to the right key, until the window has passed.</summary>
public sealed class SignInThrottleTests
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.7");

    [Fact]
    public void Failures_past_the_limit_lock_the_address_until_the_window_ends()
    {
        var time = new ManualTimeProvider();
        var throttle = Create(time, max: 3, window: TimeSpan.FromMinutes(5));

        for (var i = 1; i <= 3; i++)
        {
            Assert.Null(throttle.RetryAfter(Client));
            Assert.Equal(i, throttle.RecordFailure(Client));
        }
        time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(TimeSpan.FromMinutes(4), throttle.RetryAfter(Client));
        Assert.Null(throttle.RetryAfter(IPAddress.Parse("192.0.2.8")));
        time.Advance(TimeSpan.FromMinutes(4));
        Assert.Null(throttle.RetryAfter(Client));
        Assert.Equal(1, throttle.RecordFailure(Client));
    }

    [Fact]
    public void A_sign_in_forgets_the_failures()
    {
        var throttle = Create(new ManualTimeProvider(), max: 2, window: TimeSpan.FromMinutes(5));
        throttle.RecordFailure(Client);
        throttle.RecordFailure(Client);
        throttle.Reset(Client);
        Assert.Null(throttle.RetryAfter(Client));
    }

    [Fact]
    public void Memory_stays_bounded_under_many_addresses()
    {
        var throttle = Create(new ManualTimeProvider(), max: 2, window: TimeSpan.FromMinutes(5));
        for (var i = 0; i < SignInThrottle.Capacity + 10; i++)
        {
            throttle.RecordFailure(new IPAddress(BitConverter.GetBytes(i)));
        }
        Assert.True(throttle.Count <= SignInThrottle.Capacity);
    }

    [Fact]
    public async Task Over_HTTP_the_third_try_after_two_wrong_keys_is_429_with_Retry_After()
    {
        await using var harness = await SiloHarness.StartAsync(s =>
        {
            s["Parley:Dashboard:MaxSignInFailures"] = "2";
            s["Parley:Dashboard:SignInFailureWindow"] = "00:05:00";
            s["Parley:Dashboard:SignInFailureDelay"] = "00:00:00";
        });
        using var browser = new BrowserClient(harness.SiloUrl);
        for (var i = 0; i < 2; i++)
        {
            using var wrong = await browser.SignInAsync("sk-parley-guess-" + i + "-0000000000000000000000000000");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var throttled = await browser.SignInAsync(harness.AdminKey);

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        var retryAfter = int.Parse(throttled.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 290, 300);
        Assert.Contains("Too many wrong keys", await throttled.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(browser.SessionCookie);
        // The bearer admin key (the API's way in) is not affected.
        using var api = await harness.CreateClient(harness.AdminKey).GetAsync("dashboard/GrainTypes");
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
    }

    private static SignInThrottle Create(TimeProvider time, int max, TimeSpan window)
        => new(time, Options.Create(new AdminSessionOptions { MaxSignInFailures = max, SignInFailureWindow = window }));
}
