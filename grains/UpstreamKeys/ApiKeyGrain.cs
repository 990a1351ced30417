using Microsoft.Extensions.Logging;
using Parley.GrainInterfaces.UpstreamKeys;

namespace Parley.Grains.UpstreamKeys;

/// <summary>The home of one upstream key. It keeps no state of its own: every decision is written to the
/// <see cref="IUpstreamKeyStore"/>, where every silo's next acquisition reads it. It is a stateless worker (one local
/// activation per silo), so reporting an upstream answer never crosses to another silo, and the activations agree
/// through the store without talking to each other.</summary>
[GrainType("upstream-key")]
[StatelessWorker(1)]
public sealed partial class ApiKeyGrain(IUpstreamKeyStore store, IUpstreamKeyPolicies policies, TimeProvider timeProvider, ILogger<ApiKeyGrain> logger)
    : Grain, IApiKeyGrain
{
    private string Key => this.GetPrimaryKeyString();

    public async Task ReportAsync(UpstreamCallOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var key = Key;
        if (outcome.IsAuthFailure)
        {
            var reason = $"the upstream answered {outcome.StatusCode} at {outcome.At:O}; re-enable the key once it is fixed";
            await store.DisableAsync(key, reason);
            LogDisabled(logger, key, outcome.StatusCode);
            return;
        }
        var policy = policies.Get(key);
        if (outcome.IsError)
        {
            await LearnFromErrorAsync(key, policy, outcome);
            return;
        }
        if (outcome.WasTrial)
        {
            // Any answer that is not an error proves the key is back (a 429 below still blocks it).
            await store.RestoreAsync(key);
            LogRestored(logger, key);
        }
        if (outcome.IsRateLimited)
        {
            var wait = outcome.RetryAfter ?? Longest(outcome.ResetRequests, outcome.ResetTokens) ?? UpstreamKeyPolicy.DefaultRateLimitBlock;
            var until = outcome.At + wait;
            await store.BlockAsync(key, until, $"the upstream answered 429 (retry after {wait.TotalSeconds:0.###} s)");
            LogBlocked(logger, key, until);
            return;
        }
        if (UpstreamKeyLearning.Allowance(outcome, policy.RequestSpacing) is { } allowance)
        {
            await store.LimitStartsAsync(key, allowance);
        }
        if (UpstreamKeyLearning.NotBefore(outcome, policy.RequestSpacing) is { } notBefore)
        {
            await store.DelayAsync(key, notBefore);
        }
    }

    public Task<UpstreamKeyHealth> GetHealthAsync() => store.GetHealthAsync(Key, timeProvider.GetUtcNow());

    public async Task<UpstreamKeyHealth> EnableAsync()
    {
        var key = Key;
        await store.EnableAsync(key);
        LogEnabled(logger, key);
        return await store.GetHealthAsync(key, timeProvider.GetUtcNow());
    }

    private async Task LearnFromErrorAsync(string key, UpstreamKeyPolicy policy, UpstreamCallOutcome outcome)
    {
        var what = outcome.StatusCode == 0 ? "no answer" : outcome.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var coolUntil = outcome.At + policy.Cooldown;
        if (outcome.WasTrial)
        {
            await store.CoolAsync(key, coolUntil, $"the trial call after a cool-down failed ({what})");
            LogCooling(logger, key, coolUntil, 1);
            return;
        }
        var reason = $"{policy.ErrorsBeforeCooldown} errors within {policy.ErrorWindow.TotalSeconds:0.###} s (last: {what})";
        if (await store.RecordErrorAsync(key, outcome.At, policy.ErrorWindow, policy.ErrorsBeforeCooldown, coolUntil, reason))
        {
            LogCooling(logger, key, coolUntil, policy.ErrorsBeforeCooldown);
        }
    }

    private static TimeSpan? Longest(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : a > b ? a : b;

    [LoggerMessage(EventId = 4100, Level = LogLevel.Error,
        Message = "Upstream key {Key} was refused by the upstream ({StatusCode}) and is out of rotation until an operator re-enables it (POST /admin/upstream-keys/{Key}/enable).")]
    private static partial void LogDisabled(ILogger logger, string key, int statusCode);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "Upstream key {Key} is rate limited by the upstream until {Until:O}.")]
    private static partial void LogBlocked(ILogger logger, string key, DateTimeOffset until);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Upstream key {Key} cools down until {Until:O} after {Errors} error(s); one trial call will then decide.")]
    private static partial void LogCooling(ILogger logger, string key, DateTimeOffset until, int errors);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Information, Message = "Upstream key {Key} is back in rotation: its trial call succeeded.")]
    private static partial void LogRestored(ILogger logger, string key);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Information, Message = "Upstream key {Key} was re-enabled by an operator.")]
    private static partial void LogEnabled(ILogger logger, string key);
}
