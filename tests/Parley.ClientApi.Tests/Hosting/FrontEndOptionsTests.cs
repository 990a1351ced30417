using Microsoft.Extensions.Options;
using Parley.ClientApi.Hosting;
using Parley.ClientApi.Tests.Infrastructure;

namespace Parley.ClientApi.Tests.Hosting;

public sealed class FrontEndOptionsTests
{
    [Fact]
    public async Task The_front_end_refuses_to_start_without_redis_or_a_silo_list()
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => FrontEndHost.StartAsync(new Dictionary<string, string?>()));
        Assert.Contains("Parley:FrontEnd:Silos", ex.Message);
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://10.0.0.1:8080")]
    [InlineData("http://10.0.0.1:8080/prefix")]
    public void A_silo_that_is_not_an_http_base_url_is_rejected(string silo)
    {
        var result = new FrontEndOptionsValidator().Validate(null, new FrontEndOptions { Silos = [silo] });
        Assert.True(result.Failed);
        Assert.Contains(silo, result.FailureMessage);
    }

    [Fact]
    public void Membership_needs_no_silo_list_and_bad_settings_are_rejected()
    {
        var validator = new FrontEndOptionsValidator();
        Assert.True(validator.Validate(null, new FrontEndOptions { UsesMembership = true }).Succeeded);
        Assert.True(validator.Validate(null, new FrontEndOptions { Silos = ["http://10.0.0.1:8080/"] }).Succeeded);
        var bad = validator.Validate(null, new FrontEndOptions
        {
            UsesMembership = true,
            SiloHttpPort = 0,
            MaxAttempts = 0,
            ConnectTimeout = TimeSpan.Zero,
            MaxConnectionsPerServer = 0,
            RoutingBodyPeekBytes = -1,
            HealthCheckInterval = TimeSpan.Zero,
            HealthCheckPath = "health/ready",
            MembershipStaleAfter = TimeSpan.FromMilliseconds(10),
        });
        Assert.True(bad.Failed);
        Assert.Equal(8, bad.Failures!.Count());
    }

    [Fact]
    public void The_cluster_ids_must_not_be_empty()
    {
        var validator = new FrontEndClusterOptionsValidator();
        Assert.True(validator.Validate(null, new FrontEndClusterOptions()).Succeeded);
        Assert.Equal(2, validator.Validate(null, new FrontEndClusterOptions { ClusterId = "", ServiceId = " " }).Failures!.Count());
    }
}
