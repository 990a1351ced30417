namespace Parley.Policy.Redaction;

/// <summary>Placeholders and the values they stand for, for one conversation (or one request): what the reply's
/// placeholders are restored from.</summary>
public sealed class PseudonymVault
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public PseudonymVault()
    {
        _lookup = _values.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Count => _values.Count;

    public void Add(string placeholder, string value) => _values[placeholder] = value;

    public bool TryGetValue(ReadOnlySpan<char> placeholder, out string value) => _lookup.TryGetValue(placeholder, out value!);

    public IEnumerable<KeyValuePair<string, string>> Entries => _values;
}
