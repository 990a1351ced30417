using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Parley.GrainInterfaces.Conversations;
using Parley.GrainInterfaces.Routing;
using Parley.Silo.Quotas;
using Parley.Silo.Routing;

namespace Parley.Silo.OperatorConsole;

/// <summary>Everything the console page shows, read in one request. Users, upstream keys and conversations are the
/// cluster's (Redis and grains); <see cref="Deployments"/> is the model groups and what the silo that answered
/// (<see cref="Silo"/>) knows of each deployment, <see cref="DeploymentsBySilo"/> every active silo's view.</summary>
public sealed record ConsoleSnapshot(
    DateTimeOffset GeneratedAt,
    string Silo,
    int RefreshMs,
    ConsoleUsers Users,
    IReadOnlyList<ConsoleUpstreamKey> UpstreamKeys,
    DeploymentList Deployments,
    IReadOnlyList<SiloDeployments> DeploymentsBySilo,
    ConsoleConversations Conversations)
{
    [JsonPropertyOrder(-1)]
    public string Object => "console.snapshot";
}

/// <summary>One active silo's view of the deployments (circuits, latency and calls in flight are per silo).</summary>
/// <param name="Local">The silo that answered the snapshot.</param>
/// <param name="Data">Null when the silo did not answer in time (<paramref name="Error"/>).</param>
public sealed record SiloDeployments(string Silo, bool Local, IReadOnlyList<DeploymentView>? Data, string? Error);

/// <param name="Total">Users in the store; <see cref="Data"/> holds at most Parley:Console:MaxUsers of them.</param>
/// <param name="Error">Set when usage could not be read (Redis unreachable): the users are listed without it.</param>
public sealed record ConsoleUsers(IReadOnlyList<ConsoleUser> Data, int Total, string? Error);

/// <param name="Limits">The effective limits (the user's own, else the configured defaults).</param>
/// <param name="OwnLimits">The limits set for the user itself (what the console's form edits).</param>
/// <param name="Usage">Use in every window and period, reservations in flight included; null when unreadable.</param>
public sealed record ConsoleUser(string Id, string Name, bool Disabled, LimitsResource Limits, LimitsResource OwnLimits, UsageNumbers? Usage);

/// <summary>One upstream key: configured limits, health (cluster-wide, from its grain and the pacing store) and schedule.
/// Never the secret: <see cref="Fingerprint"/> is the first 12 hex digits of its SHA-256.</summary>
/// <param name="NextAllowedAt">When the schedule lets the next call start (now, when nothing holds it back).</param>
/// <param name="HeldUntil">No call before this, learnt from the upstream's rate-limit headers.</param>
/// <param name="WindowRemaining">Calls the upstream's newest answer said remain until <paramref name="WindowUntil"/>.</param>
/// <param name="InFlight">Concurrency slots held across the cluster (keys with a concurrency limit only).</param>
/// <param name="UpstreamWindowSeconds">The upstream's rate-limit window as this silo learnt it from the answers' limits.</param>
/// <param name="Error">Set when the key's state could not be read; the other fields are then its configuration only.</param>
public sealed record ConsoleUpstreamKey(
    string Provider,
    string Id,
    string? Fingerprint,
    int Weight,
    int? RequestsPerMinute,
    int? TokensPerMinute,
    int? MaxConcurrent,
    string State,
    DateTimeOffset? Until,
    string? Reason,
    DateTimeOffset? NextAllowedAt,
    DateTimeOffset? HeldUntil,
    long? WindowRemaining,
    DateTimeOffset? WindowUntil,
    int InFlight,
    double UpstreamWindowSeconds,
    string? Error);

/// <param name="ActiveWindowSeconds">Conversations used within this (Parley:Conversations:IdleTimeout) are shown with
/// their details; older ones by id and last use only, so that watching the console keeps no idle conversation activated.</param>
public sealed record ConsoleConversations(IReadOnlyList<ConsoleConversation> Data, double ActiveWindowSeconds, string? Error);

/// <param name="Items">Items in the transcript (a chat turn stores the new messages and the reply).</param>
/// <param name="Summary">none, pending (being written), ready, or ready_pending (a newer one being written).</param>
public sealed record ConsoleConversation(
    string Id,
    DateTimeOffset LastUsedAt,
    bool Loaded,
    string? OwnerUserId = null,
    string? Model = null,
    int? Items = null,
    int? ContextTokens = null,
    int? Budget = null,
    string? Summary = null,
    int? SummarizedMessages = null,
    int? DroppedItems = null,
    string? Silo = null)
{
    public static ConsoleConversation From(WorkingContext context, DateTimeOffset lastUsed) => new(context.ConversationId, lastUsed, true,
        context.OwnerUserId, context.Model, context.TranscriptItems, context.ContextTokens, context.Budget, SummaryState(context),
        context.Summary?.SummarizedMessages ?? 0, context.DroppedItems, context.Silo);

    public static string SummaryState(WorkingContext context) => (context.Summary is not null, context.SummaryPending) switch
    {
        (true, true) => "ready_pending",
        (true, false) => "ready",
        (false, true) => "pending",
        _ => "none",
    };
}

/// <summary>What the page needs before its first action: the antiforgery token to send with every change.</summary>
public sealed record ConsoleSession(string AntiforgeryHeader, string AntiforgeryToken, string Silo, int RefreshMs)
{
    [JsonPropertyOrder(-1)]
    public string Object => "console.session";
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ConsoleSnapshot))]
[JsonSerializable(typeof(ConsoleSession))]
internal sealed partial class ConsoleJsonContext : JsonSerializerContext
{
    /// <summary>Escapes only what JSON requires; the page writes every value as text, never as HTML.</summary>
    public static ConsoleJsonContext Relaxed { get; } = new(new JsonSerializerOptions
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    });
}
