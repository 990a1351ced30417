using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Parley.Silo.Auth.Oidc;

/// <summary>The issuer's discovery document and signing keys (JWKS), as the JWT bearer handler's configuration
/// manager. Read on first use, again every <see cref="OidcOptions.MetadataRefreshInterval"/>, and at once (at most every
/// <see cref="OidcOptions.UnknownKeyRefreshInterval"/>) when a token names a key id not among the known keys: so a
/// token signed with a newly rotated-in key is accepted on its first request, and a key the issuer removed stops
/// working at the next refresh. A failed refresh keeps the last good document. Time comes from the silo's
/// <see cref="TimeProvider"/>.</summary>
internal sealed partial class OidcMetadata : IConfigurationManager<OpenIdConnectConfiguration>, IDisposable
{
    public const string HttpClientName = "parley-oidc-metadata";
    private static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(10);

    private readonly OidcOptions _options;
    private readonly IHttpClientFactory _httpClients;
    private readonly TimeProvider _time;
    private readonly ILogger<OidcMetadata> _logger;
    private readonly SemaphoreSlim _fetching = new(1, 1);
    private readonly string _address;
    private volatile Snapshot? _current;
    private DateTimeOffset _lastAttempt = DateTimeOffset.MinValue;

    public OidcMetadata(IOptions<OidcOptions> options, IHttpClientFactory httpClients, TimeProvider time, ILogger<OidcMetadata> logger)
    {
        _options = options.Value;
        _httpClients = httpClients;
        _time = time;
        _logger = logger;
        _address = OidcOptions.NormalizeIssuer(_options.Authority ?? "") + "/.well-known/openid-configuration";
    }

    /// <summary>The current document; read (again) when there is none yet or it is older than the refresh interval.</summary>
    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
    {
        var current = _current;
        if (current is not null && _time.GetUtcNow() - current.FetchedAt < _options.MetadataRefreshInterval)
        {
            return current.Configuration;
        }
        return await RefreshAsync(cancel).ConfigureAwait(false);
    }

    /// <summary>The JWT handler's hook; Parley refreshes for unknown keys itself (<see cref="EnsureKeyAsync"/>).</summary>
    public void RequestRefresh()
    {
    }

    /// <summary>Makes sure the key <paramref name="keyId"/> is known if the issuer publishes it: reads the keys again
    /// unless they were read within <see cref="OidcOptions.UnknownKeyRefreshInterval"/>.</summary>
    public async Task EnsureKeyAsync(string keyId, CancellationToken cancel)
    {
        var configuration = await GetConfigurationAsync(cancel).ConfigureAwait(false);
        if (HasKey(configuration, keyId))
        {
            return;
        }
        LogUnknownKey(_logger, keyId);
        await RefreshAsync(cancel).ConfigureAwait(false);
    }

    private static bool HasKey(OpenIdConnectConfiguration configuration, string keyId)
        => configuration.SigningKeys.Any(k => string.Equals(k.KeyId, keyId, StringComparison.Ordinal));

    /// <summary>Reads the document, one read at a time: not when another caller read it meanwhile, and not within
    /// <see cref="OidcOptions.UnknownKeyRefreshInterval"/> of the last attempt (successful or not) while a document is held.</summary>
    private async Task<OpenIdConnectConfiguration> RefreshAsync(CancellationToken cancel)
    {
        var seen = _current;
        await _fetching.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            var current = _current;
            var now = _time.GetUtcNow();
            if (current is not null && (!ReferenceEquals(current, seen) || now - _lastAttempt < _options.UnknownKeyRefreshInterval))
            {
                return current.Configuration;
            }
            _lastAttempt = now;
            try
            {
                var configuration = await FetchAsync(cancel).ConfigureAwait(false);
                _current = new Snapshot(configuration, now);
                LogRead(_logger, _address, configuration.SigningKeys.Count, string.Join(",", configuration.SigningKeys.Select(k => k.KeyId)));
                return configuration;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
            {
                if (current is null)
                {
                    LogUnavailable(_logger, _address, e);
                    throw new OidcUnavailableException("The OIDC issuer's metadata could not be read.", e);
                }
                LogKeptLastGood(_logger, _address, e);
                return current.Configuration;
            }
        }
        finally
        {
            _fetching.Release();
        }
    }

    private async Task<OpenIdConnectConfiguration> FetchAsync(CancellationToken cancel)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(FetchTimeout);
        var retriever = new HttpDocumentRetriever(_httpClients.CreateClient(HttpClientName)) { RequireHttps = _options.RequireHttpsMetadata };
        var configuration = await OpenIdConnectConfigurationRetriever.GetAsync(_address, retriever, timeout.Token).ConfigureAwait(false);
        // OpenID Connect Discovery 1.0 §4.3: the document must name the issuer it was read from.
        if (!string.Equals(OidcOptions.NormalizeIssuer(configuration.Issuer ?? ""), OidcOptions.NormalizeIssuer(_options.Authority!), StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The discovery document names issuer '{configuration.Issuer}', not the configured authority.");
        }
        return configuration;
    }

    public void Dispose() => _fetching.Dispose();

    private sealed record Snapshot(OpenIdConnectConfiguration Configuration, DateTimeOffset FetchedAt);

    [LoggerMessage(EventId = 2301, Level = LogLevel.Information, Message = "Read the OIDC issuer's metadata from {Address}: {KeyCount} signing keys ({KeyIds})")]
    private static partial void LogRead(ILogger logger, string address, int keyCount, string keyIds);

    [LoggerMessage(EventId = 2302, Level = LogLevel.Information, Message = "A token names signing key {KeyId}, not among the issuer's known keys; reading the keys again")]
    private static partial void LogUnknownKey(ILogger logger, string keyId);

    [LoggerMessage(EventId = 2303, Level = LogLevel.Error, Message = "Could not read the OIDC issuer's metadata from {Address}; JWT callers are answered 503 until it can be read")]
    private static partial void LogUnavailable(ILogger logger, string address, Exception exception);

    [LoggerMessage(EventId = 2304, Level = LogLevel.Warning, Message = "Could not read the OIDC issuer's metadata from {Address} again; keeping the last good keys")]
    private static partial void LogKeptLastGood(ILogger logger, string address, Exception exception);
}

/// <summary>The issuer's metadata has never been read: tokens cannot be checked (503, not 401).</summary>
internal sealed class OidcUnavailableException(string message, Exception inner) : Exception(message, inner);
