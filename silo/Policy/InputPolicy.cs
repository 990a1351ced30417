using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Conversations;
using Parley.Policy.Redaction;
using Parley.Policy.Rules;
using Parley.Silo.Api;
using Parley.Silo.Chat;
using Parley.Silo.Cluster;

namespace Parley.Silo.Policy;

/// <summary>What the input policy made of a request's new messages.</summary>
/// <param name="Messages">The rewritten messages (null: unchanged); dispose the result to free it.</param>
/// <param name="Redacted">Values masked or pseudonymised.</param>
/// <param name="Vault">The request's pseudonyms (for a conversation: all of the conversation's so far).</param>
internal sealed class InputPolicyResult(ApiError? error, JsonDocument? messages, int redacted, IReadOnlyList<string> flagged, PseudonymVault? vault,
    string? blockedRule = null, IReadOnlyList<PolicyRule>? matched = null) : IDisposable
{
    public static InputPolicyResult Unchanged { get; } = new(null, null, 0, [], null);

    public ApiError? Error { get; } = error;
    public JsonDocument? Messages { get; } = messages;
    public int Redacted { get; } = redacted;
    public IReadOnlyList<string> Flagged { get; } = flagged;
    public PseudonymVault? Vault { get; } = vault;

    /// <summary>The id of the rule that blocked the request.</summary>
    public string? BlockedRule { get; } = blockedRule;

    /// <summary>The rules that matched something in the request (for the audit record: rule ids and actions).</summary>
    public IReadOnlyList<PolicyRule> Matched { get; } = matched ?? [];

    public void Dispose() => Messages?.Dispose();
}

/// <summary>A text the policy checks outside a chat request (a conversation's system prompt, an item's part), with the
/// parameter an error names.</summary>
internal readonly record struct PolicyText(string Param, string Text);

/// <summary>What the input policy found in a list of <see cref="PolicyText"/>s, before anything is rewritten.</summary>
internal sealed class TextScan
{
    public required IReadOnlyList<PolicyText> Texts { get; init; }

    /// <summary>400 <c>policy_blocked:&lt;rule&gt;</c> when a rule blocked.</summary>
    public ApiError? Error { get; init; }

    public string? BlockedRule { get; init; }

    public IReadOnlyList<string> Flagged { get; init; } = [];

    internal List<(int Key, string Text, List<RuleMatch> Matches)> Changes { get; init; } = [];

    /// <summary>Some text must be rewritten (masked or pseudonymised).</summary>
    public bool NeedsRedaction => Changes.Count > 0;
}

/// <summary>The texts as they are to be stored: every text of the scan, rewritten where the policy said so.</summary>
internal sealed record TextRedaction(ApiError? Error, IReadOnlyList<string> Texts, int Redacted);

/// <summary>Applies a policy's input rules to a chat request's new messages: every string content, every content part's
/// text and every tool call's arguments (and, for the Conversations API, to system prompts and items). A blocked value
/// refuses the request; masked and pseudonymised values are rewritten (pseudonyms of a conversation are numbered by its
/// grain, so they stay stable across turns, and the grain records that it carried redacted data); flags are counted.
/// Metrics and logs carry rule ids and counts only.</summary>
internal sealed class InputPolicy(IGrainFactory grains, ClusterCalls clusterCalls, IOptions<PolicyOptions> options, PolicyMetrics metrics,
    ILogger<InputPolicy> logger)
{
    [ThreadStatic]
    private static List<RuleMatch>? t_matches;

    public async ValueTask<InputPolicyResult> ApplyAsync(CompiledPolicy policy, JsonElement messages, string? conversationId, string userId,
        string requestId, CancellationToken cancellationToken)
    {
        if (!policy.HasInput)
        {
            return InputPolicyResult.Unchanged;
        }
        var scan = new ScanState<TextLocation>(policy);
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            MessageTexts.Visit(message, index++, ref scan, static (location, text, ref state) => state.Add(location, text));
            if (scan.Blocked is not null)
            {
                break;
            }
        }
        Report(policy, scan.Counts, requestId);
        var matched = scan.Counts.Count == 0 ? null : scan.Counts.Keys.ToList();
        if (scan.Blocked is { } blocked)
        {
            PolicyLog.Blocked(logger, requestId, policy.Name, blocked.Rule.Id, "request");
            return new InputPolicyResult(PolicyErrors.InputBlocked(policy.Name, blocked.Rule, blocked.Key.Param), null, 0, [], null, blocked.Rule.Id, matched);
        }
        var flagged = Flagged(scan.Counts);
        if (scan.Changes.Count == 0)
        {
            return new InputPolicyResult(null, null, 0, flagged, null, matched: matched);
        }
        var (error, replacements, redacted, vault) = await RedactAsync(scan.Changes, conversationId, userId, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return new InputPolicyResult(error, null, 0, [], null, matched: matched);
        }
        return new InputPolicyResult(null, Rewrite(messages, replacements), redacted, flagged, vault.Count > 0 ? vault : null, matched: matched);
    }

    /// <summary>Scans texts (nothing is rewritten or recorded yet): a block, the flags, and what must be rewritten.</summary>
    public TextScan Scan(CompiledPolicy policy, IReadOnlyList<PolicyText> texts, string requestId)
    {
        if (!policy.HasInput)
        {
            return new TextScan { Texts = texts };
        }
        var scan = new ScanState<int>(policy);
        for (var i = 0; i < texts.Count && scan.Blocked is null; i++)
        {
            scan.Add(i, texts[i].Text);
        }
        Report(policy, scan.Counts, requestId);
        if (scan.Blocked is { } blocked)
        {
            PolicyLog.Blocked(logger, requestId, policy.Name, blocked.Rule.Id, "request");
            return new TextScan { Texts = texts, Error = PolicyErrors.InputBlocked(policy.Name, blocked.Rule, texts[blocked.Key].Param), BlockedRule = blocked.Rule.Id };
        }
        return new TextScan { Texts = texts, Flagged = Flagged(scan.Counts), Changes = scan.Changes };
    }

    /// <summary>The scanned texts rewritten; pseudonyms numbered and recorded by the conversation's grain (which also
    /// records that the conversation carried redacted data).</summary>
    public async ValueTask<TextRedaction> RedactAsync(TextScan scan, string conversationId, string userId, CancellationToken cancellationToken)
    {
        if (!scan.NeedsRedaction)
        {
            return new TextRedaction(null, [.. scan.Texts.Select(t => t.Text)], 0);
        }
        var (error, replacements, redacted, _) = await RedactAsync(scan.Changes, conversationId, userId, cancellationToken).ConfigureAwait(false);
        return error is not null
            ? new TextRedaction(error, [], 0)
            : new TextRedaction(null, [.. scan.Texts.Select((t, i) => replacements.GetValueOrDefault(i, t.Text))], redacted);
    }

    private async ValueTask<(ApiError? Error, Dictionary<TKey, string> Replacements, int Redacted, PseudonymVault Vault)> RedactAsync<TKey>(
        List<(TKey Key, string Text, List<RuleMatch> Matches)> changes, string? conversationId, string userId, CancellationToken cancellationToken)
        where TKey : notnull
    {
        // Placeholders: the conversation's (stable over its turns, stored before use), or this request's own.
        var requests = new List<PseudonymRequest>();
        var seen = new HashSet<(string, string)>();
        foreach (var change in changes)
        {
            foreach (var match in change.Matches)
            {
                if (match.Action == PolicyAction.Pseudonymize && seen.Add((match.Rule.Label, change.Text.Substring(match.Start, match.Length))))
                {
                    requests.Add(new PseudonymRequest(match.Rule.Label, change.Text.Substring(match.Start, match.Length)));
                }
            }
        }
        var vault = new PseudonymVault();
        var placeholders = new Dictionary<(string, string), string?>();
        if (conversationId is not null)
        {
            var grain = grains.GetGrain<IConversationGrain>(conversationId);
            var max = options.Value.MaxPseudonymsPerConversation;
            // Safe to repeat: a value keeps the placeholder it was given.
            var record = await clusterCalls.RunAsync(() => grain.RecordRedactionAsync(userId, requests, max), cancellationToken)
                .ConfigureAwait(false);
            if (!record.Found)
            {
                return (ChatErrors.ConversationNotFound(conversationId), [], 0, vault);
            }
            for (var i = 0; i < requests.Count; i++)
            {
                placeholders[(requests[i].Label, requests[i].Value)] = record.Placeholders[i];
            }
            foreach (var pseudonym in record.Vault)
            {
                vault.Add(pseudonym.Placeholder, pseudonym.Value);
            }
        }
        else
        {
            var numbers = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var request in requests)
            {
                var number = numbers[request.Label] = numbers.GetValueOrDefault(request.Label) + 1;
                var placeholder = Placeholders.Format(request.Label, number);
                placeholders[(request.Label, request.Value)] = placeholder;
                vault.Add(placeholder, request.Value);
            }
        }

        var replacements = new Dictionary<TKey, string>();
        var redacted = 0;
        foreach (var change in changes)
        {
            replacements[change.Key] = TextRedactor.Apply(change.Text, change.Matches,
                (match, value) => placeholders.GetValueOrDefault((match.Rule.Label, value)));
            redacted += change.Matches.Count(m => m.Action is PolicyAction.Mask or PolicyAction.Pseudonymize);
        }
        return (null, replacements, redacted, vault);
    }

    private static List<string> Flagged(Dictionary<PolicyRule, int> counts)
        => counts.Where(c => c.Key.Action == PolicyAction.Flag).Select(c => c.Key.Id).Distinct().ToList();

    private static JsonDocument Rewrite(JsonElement messages, Dictionary<TextLocation, string> replacements)
    {
        var touched = replacements.Keys.Select(k => k.Message).ToHashSet();
        var output = new ArrayBufferWriter<byte>(JsonMarshal.GetRawUtf8Value(messages).Length + 256);
        using (var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartArray();
            var index = 0;
            foreach (var message in messages.EnumerateArray())
            {
                if (touched.Contains(index))
                {
                    MessageTexts.Write(writer, message, index, replacements);
                }
                else
                {
                    writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(message), skipInputValidation: true);
                }
                index++;
            }
            writer.WriteEndArray();
        }
        return JsonDocument.Parse(output.WrittenMemory);
    }

    private void Report(CompiledPolicy policy, Dictionary<PolicyRule, int> counts, string requestId)
    {
        foreach (var (rule, count) in counts)
        {
            metrics.Matched(policy.Name, rule, rule.Action, PolicyDirection.Input, count);
            PolicyLog.Matched(logger, requestId, policy.Name, rule.Id, PolicyNames.Of(rule.Action), count, "request");
        }
    }

    private struct ScanState<TKey>(CompiledPolicy policy)
    {
        public List<(TKey Key, string Text, List<RuleMatch> Matches)> Changes { get; } = [];
        public Dictionary<PolicyRule, int> Counts { get; } = [];
        public (TKey Key, PolicyRule Rule)? Blocked { get; private set; }

        public void Add(TKey key, string text)
        {
            if (Blocked is not null)
            {
                return;
            }
            var matches = t_matches ??= [];
            matches.Clear();
            policy.Scan(text, PolicyDirection.Input, matches);
            if (matches.Count == 0)
            {
                return;
            }
            foreach (var match in matches)
            {
                Counts[match.Rule] = Counts.GetValueOrDefault(match.Rule) + 1;
                if (match.Action == PolicyAction.Block)
                {
                    Blocked = (key, match.Rule);
                    return;
                }
            }
            CompiledPolicy.Merge(matches);
            if (matches.Exists(m => m.Action is PolicyAction.Mask or PolicyAction.Pseudonymize))
            {
                Changes.Add((key, text, [.. matches]));
            }
        }
    }
}
