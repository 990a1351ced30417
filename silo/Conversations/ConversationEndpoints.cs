using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Conversations;
using Parley.Silo.Api;
using Parley.Silo.Auth;
using Parley.Silo.Chat;
using Parley.Silo.Cluster;
using Parley.Silo.OpenApi;
using Parley.Silo.Policy;
using Parley.Silo.Providers;

namespace Parley.Silo.Conversations;

/// <summary>The Conversations API, shaped like OpenAI's. Every route is scoped to the caller's user: another user's
/// conversation answers exactly like a missing one (404).</summary>
internal static class ConversationEndpoints
{
    public const int DefaultListLimit = 20;
    public const int MaxListLimit = 100;
    public const string NotFoundCode = "conversation_not_found";
    public const string ItemNotFoundCode = "item_not_found";

    public static RouteGroupBuilder Map(RouteGroupBuilder group)
    {
        group.MapPost("/conversations", CreateAsync).AcceptsJson<CreateConversationRequest>(optional: true).Produces<ConversationResource>();
        // Every route naming a conversation refuses a malformed id first (before any body is read), so no grain is
        // ever addressed by one.
        var conversation = group.MapGroup("/conversations/{conversationId}").AddEndpointFilter(RefuseInvalidIdAsync);
        // A malformed conversation id is 400 on each of them.
        conversation.RefusesWith(StatusCodes.Status400BadRequest);
        conversation.MapGet("", GetAsync).Produces<ConversationResource>();
        conversation.MapPost("", UpdateAsync).AcceptsJson<UpdateConversationRequest>().Produces<ConversationResource>();
        conversation.MapDelete("", DeleteAsync).Produces<ConversationDeletedResource>();
        conversation.MapGet("/items", ListItemsAsync).Produces<ItemListResource>().AcceptsQuery(
            new QueryParameter("limit", "Items per page (default 20).") { Minimum = 1, Maximum = MaxListLimit },
            new QueryParameter("order", "By creation: newest first (desc, the default) or oldest first.") { Values = ["asc", "desc"] },
            new QueryParameter("after", "An item id: the page starts after it."));
        conversation.MapPost("/items", AddItemsAsync).AcceptsJson<AddItemsRequest>().Produces<ItemListResource>();
        conversation.MapGet("/items/{itemId}", GetItemAsync).Produces<ItemResource>();
        conversation.MapDelete("/items/{itemId}", DeleteItemAsync).Produces<ConversationResource>();
        return group;
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IGrainFactory grains, IOptions<ChatLimitsOptions> limits, ModelCatalog catalog,
        ConversationPolicy policy)
    {
        using var body = await JsonBodyReader.ReadObjectAsync(context, limits.Value.MaxRequestBodyBytes);
        if (body.Error is not null)
        {
            return body.Error.ToResult();
        }
        IReadOnlyDictionary<string, string> metadata = new Dictionary<string, string>();
        IReadOnlyList<NewConversationItem> items = [];
        var settings = ConversationSettings.None;
        if (body.Root is { } root)
        {
            foreach (var property in root.EnumerateObject())
            {
                if (ConversationSettingsParser.TryRead(property, catalog, ref settings, out var error))
                {
                    if (error is not null)
                    {
                        return error.ToResult();
                    }
                    continue;
                }
                switch (property.Name)
                {
                    case "items":
                        (items, error) = property.Value.ValueKind == JsonValueKind.Null
                            ? ([], null)
                            : ConversationRequestParser.ParseItems(property.Value, "items", required: false);
                        break;
                    case "metadata":
                        (metadata, error) = ConversationRequestParser.ParseMetadata(property.Value);
                        break;
                    default:
                        error = InputErrors.Unknown(property.Name);
                        break;
                }
                if (error is not null)
                {
                    return error.ToResult();
                }
            }
        }
        var caller = context.GetCaller();
        var userId = caller.UserId;
        var scanned = await policy.ScanAsync(context, caller, settings.Model, settings.SystemPrompt, items, "items");
        if (scanned?.Scan.Error is { } blocked)
        {
            return blocked.ToResult();
        }
        var redact = scanned is { Scan.NeedsRedaction: true };
        // A fresh id is taken with overwhelming probability; the loop only makes "taken" impossible to surface.
        while (true)
        {
            var grain = grains.GetGrain<IConversationGrain>(ConversationIds.New());
            // With values to redact the conversation is made first without its texts, so that its grain numbers the
            // pseudonyms (and records that it carries redacted data); the redacted texts are stored next.
            var info = redact
                ? await grain.CreateAsync(userId, metadata, [], settings with { SystemPrompt = null })
                : await grain.CreateAsync(userId, metadata, items, settings);
            if (info is null)
            {
                continue;
            }
            if (!redact)
            {
                return Conversation(info);
            }
            var texts = await policy.RedactAsync(context, scanned!.Value.Scan, info.Id, userId, settings.SystemPrompt, items);
            if (texts.Refusal is not null)
            {
                return texts.Refusal;
            }
            if (texts.SystemPrompt is not null)
            {
                info = await grain.UpdateAsync(userId, null, ConversationSettings.None with { SystemPrompt = texts.SystemPrompt });
            }
            if (info is not null && texts.Items.Count > 0 && await grain.AddItemsAsync(userId, texts.Items) is null)
            {
                info = null;
            }
            // Only a deletion racing the creation makes it vanish meanwhile.
            return info is null ? NotFound(grain.GetPrimaryKeyString()) : Conversation(info);
        }
    }

    private static async Task<IResult> GetAsync(string conversationId, HttpContext context, IGrainFactory grains, ClusterCalls clusterCalls)
    {
        var (grain, userId) = (grains.GetGrain<IConversationGrain>(conversationId), context.GetCaller().UserId);
        var info = await clusterCalls.RunAsync(() => grain.GetAsync(userId), context.RequestAborted);
        return info is null ? NotFound(conversationId) : Conversation(info);
    }

    /// <summary>OpenAI's update replaces the metadata; Parley's settings may be changed beside it or alone.</summary>
    private static async Task<IResult> UpdateAsync(string conversationId, HttpContext context, IGrainFactory grains, ClusterCalls clusterCalls,
        IOptions<ChatLimitsOptions> limits, ModelCatalog catalog, ConversationPolicy policy)
    {
        using var body = await JsonBodyReader.ReadObjectAsync(context, limits.Value.MaxRequestBodyBytes);
        if (body.Error is not null)
        {
            return body.Error.ToResult();
        }
        IReadOnlyDictionary<string, string>? metadata = null;
        var settings = ConversationSettings.None;
        if (body.Root is not { } root)
        {
            return InputErrors.Missing("metadata").ToResult();
        }
        foreach (var property in root.EnumerateObject())
        {
            if (ConversationSettingsParser.TryRead(property, catalog, ref settings, out var error))
            {
                if (error is not null)
                {
                    return error.ToResult();
                }
                continue;
            }
            if (property.Name != "metadata")
            {
                return InputErrors.Unknown(property.Name).ToResult();
            }
            (metadata, error) = ConversationRequestParser.ParseMetadata(property.Value);
            if (error is not null)
            {
                return error.ToResult();
            }
        }
        if (metadata is null && settings == ConversationSettings.None)
        {
            return InputErrors.Missing("metadata").ToResult();
        }
        var caller = context.GetCaller();
        var grain = grains.GetGrain<IConversationGrain>(conversationId);
        if (settings.SystemPrompt is { } systemPrompt && !policy.IsEmpty)
        {
            var model = settings.Model;
            if (model is null)
            {
                if (await clusterCalls.RunAsync(() => grain.GetAsync(caller.UserId), context.RequestAborted) is not { } current)
                {
                    return NotFound(conversationId);
                }
                model = current.Settings.Model;
            }
            var scanned = await policy.ScanAsync(context, caller, model, systemPrompt, [], "items");
            if (scanned?.Scan.Error is { } blocked)
            {
                return blocked.ToResult();
            }
            if (scanned is { Scan.NeedsRedaction: true } found)
            {
                var texts = await policy.RedactAsync(context, found.Scan, conversationId, caller.UserId, systemPrompt, []);
                if (texts.Refusal is not null)
                {
                    return texts.Refusal;
                }
                settings = settings with { SystemPrompt = texts.SystemPrompt };
            }
        }
        // Setting metadata and settings is idempotent: safe to repeat while the cluster changes.
        var info = await clusterCalls.RunAsync(() => grain.UpdateAsync(caller.UserId, metadata, settings), context.RequestAborted);
        return info is null ? NotFound(conversationId) : Conversation(info);
    }

    // A deletion deactivates the conversation's grain, so calls queued behind it (a concurrent read or deletion) are
    // forwarded and may be rejected as if the cluster changed; reads and deletions are safe to repeat, so they ride it out.
    private static async Task<IResult> DeleteAsync(string conversationId, HttpContext context, IGrainFactory grains, ClusterCalls clusterCalls)
    {
        var userId = context.GetCaller().UserId;
        var grain = grains.GetGrain<IConversationGrain>(conversationId);
        return await clusterCalls.RunAsync(() => grain.DeleteAsync(userId), context.RequestAborted)
            ? Results.Json(new ConversationDeletedResource(conversationId), ConversationJsonContext.Relaxed.ConversationDeletedResource)
            : NotFound(conversationId);
    }

    private static async Task<IResult> ListItemsAsync(string conversationId, HttpContext context, IGrainFactory grains, ClusterCalls clusterCalls)
    {
        var (query, error) = ParseListQuery(context.Request.Query);
        if (error is not null)
        {
            return error.ToResult();
        }
        var (grain, userId) = (grains.GetGrain<IConversationGrain>(conversationId), context.GetCaller().UserId);
        var page = await clusterCalls.RunAsync(() => grain.ListItemsAsync(userId, query!), context.RequestAborted);
        return page.Status switch
        {
            ConversationLookupStatus.Found => Results.Json(ItemListResource.From(page.Data, page.HasMore), ConversationJsonContext.Relaxed.ItemListResource),
            ConversationLookupStatus.ItemNotFound => InputErrors.InvalidValue("after", $"Invalid 'after': no item with id '{query!.After}' in this conversation.").ToResult(),
            _ => NotFound(conversationId),
        };
    }

    private static async Task<IResult> AddItemsAsync(string conversationId, HttpContext context, IGrainFactory grains, ClusterCalls clusterCalls,
        IOptions<ChatLimitsOptions> limits, ConversationPolicy policy)
    {
        using var body = await JsonBodyReader.ReadObjectAsync(context, limits.Value.MaxRequestBodyBytes);
        var (items, error) = body.ReadSingleField("items", required: true, static value => ConversationRequestParser.ParseItems(value, "items", required: true));
        if (error is not null)
        {
            return error.ToResult();
        }
        var caller = context.GetCaller();
        var grain = grains.GetGrain<IConversationGrain>(conversationId);
        if (!policy.IsEmpty)
        {
            // The items go upstream on the conversation's later turns: the policy of its model applies too.
            if (await clusterCalls.RunAsync(() => grain.GetAsync(caller.UserId), context.RequestAborted) is not { } current)
            {
                return NotFound(conversationId);
            }
            var scanned = await policy.ScanAsync(context, caller, current.Settings.Model, null, items!, "items");
            if (scanned?.Scan.Error is { } blocked)
            {
                return blocked.ToResult();
            }
            if (scanned is { Scan.NeedsRedaction: true } found)
            {
                var texts = await policy.RedactAsync(context, found.Scan, conversationId, caller.UserId, null, items!);
                if (texts.Refusal is not null)
                {
                    return texts.Refusal;
                }
                items = texts.Items;
            }
        }
        var created = await grain.AddItemsAsync(caller.UserId, items!);
        return created is null
            ? NotFound(conversationId)
            : Results.Json(ItemListResource.From(created, hasMore: false), ConversationJsonContext.Relaxed.ItemListResource);
    }

    private static async Task<IResult> GetItemAsync(string conversationId, string itemId, HttpContext context, IGrainFactory grains, ClusterCalls clusterCalls)
    {
        var (grain, userId) = (grains.GetGrain<IConversationGrain>(conversationId), context.GetCaller().UserId);
        var result = await clusterCalls.RunAsync(() => grain.GetItemAsync(userId, itemId), context.RequestAborted);
        return result.Status switch
        {
            ConversationLookupStatus.Found => Results.Json(ItemResource.From(result.Item!), ConversationJsonContext.Relaxed.ItemResource),
            ConversationLookupStatus.ItemNotFound => ItemNotFound(itemId),
            _ => NotFound(conversationId),
        };
    }

    private static async Task<IResult> DeleteItemAsync(string conversationId, string itemId, HttpContext context, IGrainFactory grains, ClusterCalls clusterCalls)
    {
        var userId = context.GetCaller().UserId;
        var grain = grains.GetGrain<IConversationGrain>(conversationId);
        var result = await clusterCalls.RunAsync(() => grain.DeleteItemAsync(userId, itemId), context.RequestAborted);
        return result.Status switch
        {
            ConversationLookupStatus.Found => Conversation(result.Conversation!),
            ConversationLookupStatus.ItemNotFound => ItemNotFound(itemId),
            _ => NotFound(conversationId),
        };
    }

    /// <summary>limit (1-100, default 20), order (asc|desc, default desc), after (an item id); include is accepted
    /// and has nothing to add, since message items carry all their fields.</summary>
    private static (ConversationItemQuery? Query, ApiError? Error) ParseListQuery(IQueryCollection query)
    {
        var limit = DefaultListLimit;
        if (query.TryGetValue("limit", out var limitValues))
        {
            if (limitValues.Count != 1 || !int.TryParse(limitValues[0], NumberStyles.None, CultureInfo.InvariantCulture, out limit)
                || limit is < 1 or > MaxListLimit)
            {
                return (null, InputErrors.InvalidValue("limit", $"Invalid 'limit': expected an integer from 1 to {MaxListLimit}."));
            }
        }
        var order = ItemOrder.Descending;
        if (query.TryGetValue("order", out var orderValues))
        {
            order = orderValues.Count == 1 ? orderValues[0] switch
            {
                "asc" => ItemOrder.Ascending,
                "desc" => ItemOrder.Descending,
                _ => (ItemOrder)(-1),
            } : (ItemOrder)(-1);
            if (!Enum.IsDefined(order))
            {
                return (null, InputErrors.InvalidValue("order", "Invalid 'order': expected 'asc' or 'desc'."));
            }
        }
        string? after = null;
        if (query.TryGetValue("after", out var afterValues))
        {
            if (afterValues.Count != 1 || string.IsNullOrEmpty(afterValues[0]))
            {
                return (null, InputErrors.InvalidValue("after", "Invalid 'after': expected one item id."));
            }
            after = afterValues[0];
        }
        return (new ConversationItemQuery(limit, order, after), null);
    }

    private static IResult Conversation(ConversationInfo info)
        => Results.Json(ConversationResource.From(info), ConversationJsonContext.Relaxed.ConversationResource);

    internal static ValueTask<object?> RefuseInvalidIdAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var conversationId = (string)context.HttpContext.Request.RouteValues["conversationId"]!;
        return ConversationIds.IsValid(conversationId)
            ? next(context)
            : ValueTask.FromResult<object?>(ApiErrors.BadRequest(ConversationIds.InvalidIdMessage(conversationId), "conversation_id", ConversationIds.InvalidIdCode));
    }

    internal static IResult NotFound(string conversationId)
        => ApiErrors.NotFound($"Conversation with id '{conversationId}' not found.", NotFoundCode);

    private static IResult ItemNotFound(string itemId)
        => ApiErrors.NotFound($"Item with id '{itemId}' not found.", ItemNotFoundCode);
}
