using System.Collections.Frozen;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Parley.Sim.Api;
using Parley.Sim.Hosting;
using Parley.Sim.Observability;

namespace Parley.Sim.Auth;

/// <summary>Checks <c>Authorization: Bearer &lt;key&gt;</c> against the configured keys (any non-empty key when none
/// are configured), without allocating for a key it has seen before.</summary>
internal sealed class SimulatorAuthenticator
{
    private const string BearerPrefix = "Bearer ";

    private readonly FrozenSet<string> _validKeys;
    private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _validKeysBySpan;
    private readonly SimulatorState _state;

    public SimulatorAuthenticator(IOptions<SimulatorOptions> options, SimulatorState state)
    {
        _validKeys = options.Value.ApiKeys.ToFrozenSet(StringComparer.Ordinal);
        _validKeysBySpan = _validKeys.GetAlternateLookup<ReadOnlySpan<char>>();
        _state = state;
    }

    /// <summary>The caller's key entry (tracked from now on), or the 401 to answer.</summary>
    public SimError? Authenticate(HttpRequest request, out KeyEntry? key)
    {
        var error = Check(request, out var token);
        key = error is null ? _state.KeyEntryFor(token) : null;
        return error;
    }

    /// <summary>The 401 to answer, or null; for routes that do not count per key.</summary>
    public SimError? Check(HttpRequest request) => Check(request, out _);

    private SimError? Check(HttpRequest request, out ReadOnlySpan<char> token)
    {
        token = default;
        var values = request.Headers.Authorization;
        if (values.Count != 1)
        {
            return SimErrors.MissingApiKey;
        }
        var header = values[0].AsSpan();
        if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return SimErrors.MissingApiKey;
        }
        token = header[BearerPrefix.Length..].Trim();
        if (token.IsEmpty)
        {
            return SimErrors.MissingApiKey;
        }
        if (_validKeys.Count > 0 && !_validKeysBySpan.Contains(token))
        {
            return SimErrors.InvalidApiKey;
        }
        return null;
    }
}
