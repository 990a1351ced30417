using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Parley.Sim.Hosting;
using Parley.Tokenizer;

namespace Parley.Sim.Tokens;

/// <summary>Which encoding the simulator counts a model's tokens with: the configured override for the model, else
/// OpenAI's own table (gpt-4o → o200k_base, gpt-4 → cl100k_base, …), else the configured default, so made-up model
/// names (sim-small, bench names) still get exact, reproducible counts.</summary>
public sealed class ModelTokenizers
{
    private readonly SimEncoding _default;
    private readonly Dictionary<string, SimEncoding> _overrides;
    private readonly ConcurrentDictionary<string, SimEncoding> _byEncoding = new(StringComparer.OrdinalIgnoreCase);

    public ModelTokenizers(IOptions<SimulatorOptions> options)
    {
        var settings = options.Value;
        _default = Get(settings.DefaultEncoding);
        _overrides = new Dictionary<string, SimEncoding>(StringComparer.OrdinalIgnoreCase);
        foreach (var (model, encoding) in settings.ModelEncodings)
        {
            _overrides[model] = Get(encoding);
        }
    }

    /// <summary>The encoding for <paramref name="model"/> (never null: unknown models get the default).</summary>
    public SimEncoding For(string? model)
    {
        if (model is null)
        {
            return _default;
        }
        if (_overrides.Count > 0 && _overrides.TryGetValue(model, out var configured))
        {
            return configured;
        }
        return ModelEncodings.GetEncodingName(model) is { } name ? Get(name) : _default;
    }

    // One SimEncoding per encoding, shared by every model that uses it (each holds a per-token table).
    private SimEncoding Get(string name) =>
        _byEncoding.GetOrAdd(name, static n => new SimEncoding(TiktokenEncoding.Get(n)));
}
