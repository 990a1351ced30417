using Parley.GrainInterfaces.Conversations;

namespace Parley.Grains.Conversations;

/// <summary>Redaction: the flag that keeps a conversation out of the response cache, and its pseudonyms (placeholder →
/// the client's value). The transcript only ever holds placeholders, so what is sent upstream on later turns (and to
/// the summariser) never carries the values.</summary>
public sealed partial class ConversationGrain
{
    private IReadOnlyList<Pseudonym>? _pseudonyms;

    public async Task<RedactionRecord> RecordRedactionAsync(string userId, IReadOnlyList<PseudonymRequest> values, int maxPseudonyms)
    {
        if (!await LoadAsync(userId))
        {
            return RedactionRecord.NotFound;
        }
        var placeholders = new string?[values.Count];
        var written = await UpdateStateAsync(userId, s =>
        {
            var changed = !s.CarriesRedactedData;
            s.CarriesRedactedData = true;
            var known = new Dictionary<(string, string), string>();
            var next = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var stored in s.Pseudonyms ?? [])
            {
                known[(stored.Label, stored.Value)] = stored.Placeholder;
                next[stored.Label] = next.GetValueOrDefault(stored.Label) + 1;
            }
            for (var i = 0; i < values.Count; i++)
            {
                var (label, value) = (values[i].Label, values[i].Value);
                if (known.TryGetValue((label, value), out var placeholder))
                {
                    placeholders[i] = placeholder;
                    continue;
                }
                if ((s.Pseudonyms?.Count ?? 0) >= maxPseudonyms)
                {
                    placeholders[i] = null;
                    continue;
                }
                var number = next[label] = next.GetValueOrDefault(label) + 1;
                placeholder = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"<<PII_{label}_{number}>>");
                (s.Pseudonyms ??= []).Add(new StoredPseudonym { Placeholder = placeholder, Label = label, Value = value });
                known[(label, value)] = placeholder;
                placeholders[i] = placeholder;
                changed = true;
            }
            return changed;
        });
        if (written)
        {
            _pseudonyms = null;
        }
        return new RedactionRecord(true, placeholders, PseudonymList() ?? []);
    }

    /// <summary>The pseudonyms as sent to the silo (built once per change).</summary>
    private IReadOnlyList<Pseudonym>? PseudonymList()
    {
        if (state.State.Pseudonyms is not { Count: > 0 } stored)
        {
            return null;
        }
        if (_pseudonyms is null || _pseudonyms.Count != stored.Count)
        {
            _pseudonyms = stored.Select(p => new Pseudonym(p.Placeholder, p.Value)).ToArray();
        }
        return _pseudonyms;
    }
}
