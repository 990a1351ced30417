using Microsoft.Extensions.Options;

namespace Parley.ClientApi.Hosting;

public sealed class FrontEndOptionsValidator : IValidateOptions<FrontEndOptions>
{
    public ValidateOptionsResult Validate(string? name, FrontEndOptions options)
    {
        var failures = new List<string>();
        if (!options.UsesMembership)
        {
            ValidateSilos(options.Silos, failures);
        }
        if (options.SiloHttpPort is < 1 or > 65535)
        {
            failures.Add("Parley:FrontEnd:SiloHttpPort must be a TCP port (1-65535).");
        }
        if (!Enum.IsDefined(options.SiloProtocol))
        {
            failures.Add("Parley:FrontEnd:SiloProtocol must be Http1 or Http2.");
        }
        if (options.MaxAttempts < 1)
        {
            failures.Add("Parley:FrontEnd:MaxAttempts must be at least 1.");
        }
        if (options.RoutingBodyPeekBytes < 0)
        {
            failures.Add("Parley:FrontEnd:RoutingBodyPeekBytes must not be negative (0 turns the body peek off).");
        }
        if (options.MaxConnectionsPerServer < 1)
        {
            failures.Add("Parley:FrontEnd:MaxConnectionsPerServer must be at least 1.");
        }
        if (options.HealthCheckFailureThreshold < 1)
        {
            failures.Add("Parley:FrontEnd:HealthCheckFailureThreshold must be at least 1.");
        }
        if (string.IsNullOrEmpty(options.HealthCheckPath) || options.HealthCheckPath[0] != '/')
        {
            failures.Add("Parley:FrontEnd:HealthCheckPath must be an absolute path such as /health/ready.");
        }
        RequirePositive(failures, nameof(options.MembershipRefreshPeriod), options.MembershipRefreshPeriod);
        RequirePositive(failures, nameof(options.MembershipCallTimeout), options.MembershipCallTimeout);
        RequirePositive(failures, nameof(options.GatewayListRefreshPeriod), options.GatewayListRefreshPeriod);
        RequirePositive(failures, nameof(options.HealthCheckInterval), options.HealthCheckInterval);
        RequirePositive(failures, nameof(options.HealthCheckTimeout), options.HealthCheckTimeout);
        RequirePositive(failures, nameof(options.ReactivationPeriod), options.ReactivationPeriod);
        RequirePositive(failures, nameof(options.ConnectTimeout), options.ConnectTimeout);
        RequirePositive(failures, nameof(options.ActivityTimeout), options.ActivityTimeout);
        RequirePositive(failures, nameof(options.PooledConnectionLifetime), options.PooledConnectionLifetime);
        RequirePositive(failures, nameof(options.PooledConnectionIdleTimeout), options.PooledConnectionIdleTimeout);
        if (options.MembershipStaleAfter < options.MembershipRefreshPeriod)
        {
            failures.Add("Parley:FrontEnd:MembershipStaleAfter must be at least Parley:FrontEnd:MembershipRefreshPeriod.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateSilos(string[]? silos, List<string> failures)
    {
        if (silos is not { Length: > 0 })
        {
            failures.Add("Set Parley:Redis:ConnectionString (silos from the Orleans cluster) or Parley:FrontEnd:Silos (a fixed list of silo base URLs).");
            return;
        }
        foreach (var silo in silos)
        {
            if (!Uri.TryCreate(silo, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                || uri.PathAndQuery != "/")
            {
                failures.Add($"Parley:FrontEnd:Silos: '{silo}' is not an http(s) base URL such as http://10.0.0.5:8080.");
            }
        }
    }

    private static void RequirePositive(List<string> failures, string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"Parley:FrontEnd:{name} must be positive.");
        }
    }
}
