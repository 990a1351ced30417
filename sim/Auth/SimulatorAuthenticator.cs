using System.Collections.Frozen;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Parley.Sim.Api;
using Parley.Sim.Hosting;
using Parley.Sim.Observability;

namespace Parley.Sim.Auth;

/// <summary>Where a route takes the caller's key from.</summary>
internal enum KeySource
{
    /// <summary>OpenAI's <c>Authorization: Bearer &lt;key&gt;</c>.</summary>
    Bearer,

    /// <summary>Anthropic's <c>x-api-key: &lt;key&gt;</c>, else <c>Authorization: Bearer &lt;key&gt;</c> (what Anthropic's
    /// SDKs send since API version 2026-10-21); x-api-key wins when both are sent.</summary>
    XApiKeyOrBearer,

    /// <summary>Azure OpenAI's <c>api-key: &lt;key&gt;</c>.</summary>
    ApiKey,
}

/// <summary>Why a caller was not authenticated.</summary>
internal enum AuthFailure
{
    None,
    MissingKey,
    InvalidKey,
}

/// <summary>Checks the caller's key against the configured keys (any non-empty key when none are configured),
/// without allocating for a key it has seen before. Every API takes its key from its own header (see
/// <see cref="KeySource"/>) and answers a failure in its own words; the key list is the same.</summary>
internal sealed class SimulatorAuthenticator
{
    private const string BearerPrefix = "Bearer ";
    private const string XApiKeyHeader = "x-api-key";
    private const string ApiKeyHeader = "api-key";

    private readonly FrozenSet<string> _validKeys;
    private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _validKeysBySpan;
    private readonly SimulatorState _state;

    public SimulatorAuthenticator(IOptions<SimulatorOptions> options, SimulatorState state)
    {
        _validKeys = options.Value.ApiKeys.ToFrozenSet(StringComparer.Ordinal);
        _validKeysBySpan = _validKeys.GetAlternateLookup<ReadOnlySpan<char>>();
        _state = state;
    }

    /// <summary>The caller's key entry (tracked from now on), or why there is none.</summary>
    public AuthFailure Authenticate(HttpRequest request, KeySource source, out KeyEntry? key)
    {
        var failure = Check(request, source, out var token);
        key = failure == AuthFailure.None ? _state.KeyEntryFor(token) : null;
        return failure;
    }

    /// <summary>The caller's bearer key entry (tracked from now on), or OpenAI's 401 to answer.</summary>
    public SimError? Authenticate(HttpRequest request, out KeyEntry? key) => OpenAIError(Authenticate(request, KeySource.Bearer, out key));

    /// <summary>OpenAI's 401 to answer for a bearer key, or null; for routes that do not count per key.</summary>
    public SimError? Check(HttpRequest request) => OpenAIError(Check(request, KeySource.Bearer, out _));

    public static SimError? OpenAIError(AuthFailure failure) => failure switch
    {
        AuthFailure.MissingKey => SimErrors.MissingApiKey,
        AuthFailure.InvalidKey => SimErrors.InvalidApiKey,
        _ => null,
    };

    private AuthFailure Check(HttpRequest request, KeySource source, out ReadOnlySpan<char> token)
    {
        token = default;
        var values = source switch
        {
            KeySource.XApiKeyOrBearer => request.Headers[XApiKeyHeader],
            KeySource.ApiKey => request.Headers[ApiKeyHeader],
            _ => request.Headers.Authorization,
        };
        var bearer = source == KeySource.Bearer;
        if (source == KeySource.XApiKeyOrBearer && values.Count == 0)
        {
            values = request.Headers.Authorization;
            bearer = true;
        }
        if (values.Count != 1)
        {
            return AuthFailure.MissingKey;
        }
        var header = values[0].AsSpan();
        if (bearer)
        {
            if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
            {
                return AuthFailure.MissingKey;
            }
            header = header[BearerPrefix.Length..];
        }
        token = header.Trim();
        if (token.IsEmpty)
        {
            return AuthFailure.MissingKey;
        }
        return _validKeys.Count > 0 && !_validKeysBySpan.Contains(token) ? AuthFailure.InvalidKey : AuthFailure.None;
    }
}
