using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.Silo.Quotas.Alerts;
using Xunit;

namespace Parley.Silo.Tests.Quotas.Alerts;

public sealed class QuotaAlertOptionsTests
{
    private const string Section = QuotaAlertOptions.SectionName;

    [Fact]
    public void Defaults_are_valid_and_as_documented()
    {
        var options = new QuotaAlertOptions();
        Assert.True(new QuotaAlertOptionsValidator().Validate(null, options).Succeeded);
        Assert.Null(options.WebhookUrl);
        Assert.Null(options.WebhookSecret);
        Assert.Equal(5, options.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(1), options.FirstRetryDelay);
        Assert.Equal(TimeSpan.FromSeconds(60), options.MaxRetryDelay);
        Assert.Equal(TimeSpan.FromSeconds(10), options.Timeout);
        Assert.Equal(10_000, options.QueueCapacity);
        Assert.Equal(TimeSpan.FromSeconds(5), options.ShutdownTimeout);
    }

    [Theory]
    [InlineData("http://127.0.0.1:9000/hook")]
    [InlineData("https://alerts.example.com/parley?x=1")]
    [InlineData("")]
    public void Accepted_webhook_urls(string url)
        => Assert.True(new QuotaAlertOptionsValidator().Validate(null, new QuotaAlertOptions { WebhookUrl = url }).Succeeded);

    [Theory]
    [InlineData("/relative/hook")]
    [InlineData("ftp://example.com/hook")]
    [InlineData("not a url")]
    public void Refused_webhook_urls(string url)
    {
        var result = new QuotaAlertOptionsValidator().Validate(null, new QuotaAlertOptions { WebhookUrl = url });
        Assert.Equal([$"{Section}:WebhookUrl must be an absolute http or https URL."], result.Failures);
    }

    public static TheoryData<Action<QuotaAlertOptions>, string> InvalidSettings => new()
    {
        { o => o.MaxAttempts = 0, $"{Section}:MaxAttempts must be between 1 and 100." },
        { o => o.MaxAttempts = 101, $"{Section}:MaxAttempts must be between 1 and 100." },
        { o => o.FirstRetryDelay = TimeSpan.Zero, $"{Section}:FirstRetryDelay must be positive." },
        { o => o.MaxRetryDelay = TimeSpan.FromMilliseconds(999), $"{Section}:MaxRetryDelay must be at least FirstRetryDelay." },
        { o => o.Timeout = TimeSpan.FromSeconds(-1), $"{Section}:Timeout must be positive." },
        { o => o.QueueCapacity = 0, $"{Section}:QueueCapacity must be between 1 and 1000000." },
        { o => o.ShutdownTimeout = TimeSpan.FromSeconds(-1), $"{Section}:ShutdownTimeout must not be negative." },
        { o => o.WebhookSecret = "   ", $"{Section}:WebhookSecret must not be only white space." },
    };

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public void Invalid_settings_are_refused_with_their_name(Action<QuotaAlertOptions> configure, string failure)
    {
        var options = new QuotaAlertOptions();
        configure(options);
        Assert.Equal([failure], new QuotaAlertOptionsValidator().Validate(null, options).Failures);
    }

    [Fact]
    public async Task Invalid_configuration_stops_the_host_at_start_without_echoing_the_url()
    {
        await using var app = Build(new() { [$"{Section}:WebhookUrl"] = "ftp://user:hunter2@example.com/x" });
        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("WebhookUrl", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Configuration_is_bound_and_the_dispatcher_is_the_hosted_service()
    {
        await using var app = Build(new()
        {
            [$"{Section}:WebhookUrl"] = "http://127.0.0.1:9/hook",
            [$"{Section}:WebhookSecret"] = "s3cret",
            [$"{Section}:MaxAttempts"] = "3",
            [$"{Section}:FirstRetryDelay"] = "00:00:02",
            [$"{Section}:MaxRetryDelay"] = "00:00:30",
            [$"{Section}:Timeout"] = "00:00:04",
            [$"{Section}:QueueCapacity"] = "50",
            [$"{Section}:ShutdownTimeout"] = "00:00:01",
        });
        var options = app.Services.GetRequiredService<IOptions<QuotaAlertOptions>>().Value;
        Assert.Equal("http://127.0.0.1:9/hook", options.WebhookUrl);
        Assert.Equal("s3cret", options.WebhookSecret);
        Assert.Equal(3, options.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(2), options.FirstRetryDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), options.MaxRetryDelay);
        Assert.Equal(TimeSpan.FromSeconds(4), options.Timeout);
        Assert.Equal(50, options.QueueCapacity);
        Assert.Equal(TimeSpan.FromSeconds(1), options.ShutdownTimeout);

        var dispatcher = app.Services.GetRequiredService<QuotaAlertDispatcher>();
        Assert.Contains(app.Services.GetServices<IHostedService>(), s => ReferenceEquals(s, dispatcher));
        await app.StartAsync();
        await app.StopAsync();
    }

    private static WebApplication Build(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddQuotaAlerts();
        return builder.Build();
    }
}
