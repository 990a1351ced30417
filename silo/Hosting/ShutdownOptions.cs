using Microsoft.Extensions.Options;

namespace Parley.Silo;

/// <summary>Graceful shutdown, bound from <c>Parley:Shutdown</c>.</summary>
public sealed class ShutdownOptions
{
    public const string SectionName = "Parley:Shutdown";
    public static readonly TimeSpan DefaultGracePeriod = TimeSpan.FromSeconds(30);

    /// <summary>How long a stopping silo lets in-flight requests (long streams included) finish after it stops
    /// accepting new ones, before it deactivates its grains and leaves the membership table.</summary>
    public TimeSpan GracePeriod { get; set; } = DefaultGracePeriod;
}

internal sealed class ShutdownOptionsValidator : IValidateOptions<ShutdownOptions>
{
    public ValidateOptionsResult Validate(string? name, ShutdownOptions options)
        => options.GracePeriod >= TimeSpan.Zero
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{ShutdownOptions.SectionName}:GracePeriod must not be negative.");
}
