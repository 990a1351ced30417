using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Parley.Sim.Hosting;

namespace Parley.Sim.Models;

/// <summary>The served model ids, pre-encoded so a request's model is matched without allocating a string.</summary>
internal sealed class ModelCatalog
{
    private readonly byte[][] _utf8Ids;

    public ModelCatalog(IOptions<SimulatorOptions> options)
    {
        Ids = [.. options.Value.EffectiveModels];
        AcceptAny = options.Value.AcceptAnyModel;
        _utf8Ids = [.. Ids.Select(Encoding.UTF8.GetBytes)];
    }

    public IReadOnlyList<string> Ids { get; }

    public bool AcceptAny { get; }

    /// <summary>The configured id equal to the reader's current string token, or null.</summary>
    public string? Match(ref Utf8JsonReader reader)
    {
        for (var i = 0; i < _utf8Ids.Length; i++)
        {
            if (reader.ValueTextEquals(_utf8Ids[i]))
            {
                return Ids[i];
            }
        }
        return null;
    }

    public bool Contains(string id) => Ids.Contains(id, StringComparer.Ordinal);
}
