using Microsoft.Extensions.Options;

namespace Parley.Runtime.Hosting;

internal sealed class MembershipOptionsValidator : IValidateOptions<MembershipOptions>
{
    public ValidateOptionsResult Validate(string? name, MembershipOptions options)
    {
        const string section = MembershipOptions.SectionName;
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ClusterId))
        {
            failures.Add($"{section}:ClusterId must not be empty.");
        }
        GrainRuntimeOptionsValidator.RequirePositive(failures, nameof(options.IAmAlivePeriod), options.IAmAlivePeriod, section);
        GrainRuntimeOptionsValidator.RequirePositive(failures, nameof(options.DeathTimeout), options.DeathTimeout, section);
        GrainRuntimeOptionsValidator.RequirePositive(failures, nameof(options.RefreshPeriod), options.RefreshPeriod, section);
        // A silo renews once per IAmAlivePeriod; a death timeout that is not longer would declare healthy silos dead.
        if (options.DeathTimeout <= options.IAmAlivePeriod)
        {
            failures.Add($"{section}:DeathTimeout ({options.DeathTimeout}) must be longer than IAmAlivePeriod ({options.IAmAlivePeriod}).");
        }
        if (!string.IsNullOrWhiteSpace(options.AdvertisedAddress)
            && (!Uri.TryCreate(options.AdvertisedAddress, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            failures.Add($"{section}:AdvertisedAddress must be an absolute http(s) URL (was '{options.AdvertisedAddress}').");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
