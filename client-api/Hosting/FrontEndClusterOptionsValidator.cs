using Microsoft.Extensions.Options;

namespace Parley.ClientApi.Hosting;

public sealed class FrontEndClusterOptionsValidator : IValidateOptions<FrontEndClusterOptions>
{
    public ValidateOptionsResult Validate(string? name, FrontEndClusterOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ClusterId))
        {
            failures.Add("Parley:Cluster:ClusterId must not be empty.");
        }
        if (string.IsNullOrWhiteSpace(options.ServiceId))
        {
            failures.Add("Parley:Cluster:ServiceId must not be empty.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
