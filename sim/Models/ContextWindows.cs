using Microsoft.Extensions.Options;
using Parley.Sim.Hosting;

namespace Parley.Sim.Models;

/// <summary>Each model's context window: the configured per-model window if there is one (case-insensitive), else
/// <see cref="SimulatorOptions.ContextWindow"/>; <see cref="SimulatorOptions.UnlimitedContextWindow"/> means no limit.</summary>
internal sealed class ContextWindows
{
    private readonly int _default;
    private readonly Dictionary<string, int> _byModel;

    public ContextWindows(IOptions<SimulatorOptions> options)
    {
        var settings = options.Value;
        _default = settings.ContextWindow;
        _byModel = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var (model, window) in settings.ModelContextWindows)
        {
            _byModel[model] = window;
        }
    }

    /// <summary>The window of <paramref name="model"/> in tokens (0 = unlimited).</summary>
    public int For(string model) => _byModel.Count > 0 && _byModel.TryGetValue(model, out var window) ? window : _default;
}
