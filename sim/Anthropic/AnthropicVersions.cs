using Microsoft.AspNetCore.Http;

namespace Parley.Sim.Anthropic;

/// <summary>The anthropic-version header every Messages API request must carry, and what the version changes.</summary>
internal static class AnthropicVersions
{
    public const string Header = "anthropic-version";

    /// <summary>The version that removed the sampling parameters (temperature, top_p, top_k: sending one is a 400).</summary>
    public const string V20261021 = "2026-10-21";

    /// <summary>The versions Anthropic's API accepts, newest first.</summary>
    public static readonly string[] Supported = [V20261021, "2023-06-01", "2023-01-01"];

    /// <summary>The 400 for a missing or unknown version, or null; notes on <paramref name="request"/> what the
    /// version allows.</summary>
    public static AnthropicError? Check(HttpRequest request, MessagesRequest messages)
    {
        var values = request.Headers[Header];
        if (values.Count == 0 || string.IsNullOrWhiteSpace(values[0]))
        {
            return AnthropicErrors.MissingVersion;
        }
        var version = values[0]!.Trim();
        if (values.Count != 1 || Array.IndexOf(Supported, version) < 0)
        {
            return AnthropicErrors.UnsupportedVersion(version);
        }
        messages.SamplingRemoved = version == V20261021;
        return null;
    }
}
