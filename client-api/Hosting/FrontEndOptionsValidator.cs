using Microsoft.Extensions.Options;

namespace Parley.ClientApi.Hosting;

public sealed class FrontEndOptionsValidator : IValidateOptions<FrontEndOptions>
{
    public ValidateOptionsResult Validate(string? name, FrontEndOptions options)
    {
        var failures = new List<string>();
        if (!options.UsesMembership)
        {
            if (options.Silos is not { Length: > 0 })
            {
                failures.Add("Set Parley:Redis:ConnectionString (silos from membership) or Parley:FrontEnd:Silos (a fixed list of silo base URLs).");
            }
            else
            {
                foreach (var silo in options.Silos)
                {
                    if (!Uri.TryCreate(silo, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                        || uri.PathAndQuery != "/")
                    {
                        failures.Add($"Parley:FrontEnd:Silos: '{silo}' is not an http(s) base URL such as http://10.0.0.5:8080.");
                    }
                }
            }
        }
        if (options.MaxAttempts < 1)
        {
            failures.Add("Parley:FrontEnd:MaxAttempts must be at least 1.");
        }
        if (options.ConnectTimeout <= TimeSpan.Zero)
        {
            failures.Add("Parley:FrontEnd:ConnectTimeout must be positive.");
        }
        if (options.PooledConnectionLifetime <= TimeSpan.Zero)
        {
            failures.Add("Parley:FrontEnd:PooledConnectionLifetime must be positive.");
        }
        if (options.PooledConnectionIdleTimeout <= TimeSpan.Zero)
        {
            failures.Add("Parley:FrontEnd:PooledConnectionIdleTimeout must be positive.");
        }
        if (options.MaxConnectionsPerServer < 1)
        {
            failures.Add("Parley:FrontEnd:MaxConnectionsPerServer must be at least 1.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
