using System.Diagnostics.Metrics;

namespace Parley.Grains.Conversations;

/// <summary>Conversation lifecycle metrics under the meter <c>Parley.Conversations</c>: <c>parley.conversation.activations</c>
/// (conversation grains activated on this silo), <c>parley.conversation.active</c> (activations alive now),
/// <c>parley.conversation.summaries</c> (background summary rounds by result: applied, stale, failed) and
/// <c>parley.conversation.archive_moves</c> (archived, restored, purged). No conversation id is ever a label.</summary>
public sealed class ConversationMetrics : IDisposable
{
    public const string MeterName = "Parley.Conversations";
    public const string Applied = "applied";
    public const string Stale = "stale";
    public const string Failed = "failed";
    public const string Archived = "archived";
    public const string Restored = "restored";
    public const string Purged = "purged";

    private readonly Meter _meter;
    private readonly Counter<long> _activations;
    private readonly UpDownCounter<long> _active;
    private readonly Counter<long> _summaries;
    private readonly Counter<long> _archiveMoves;

    public ConversationMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _activations = _meter.CreateCounter<long>("parley.conversation.activations", "{activation}", "Conversation grains activated on this silo");
        _active = _meter.CreateUpDownCounter<long>("parley.conversation.active", "{activation}", "Conversation activations alive on this silo");
        _summaries = _meter.CreateCounter<long>("parley.conversation.summaries", "{summary}", "Background summary rounds by result (applied, stale, failed)");
        _archiveMoves = _meter.CreateCounter<long>("parley.conversation.archive_moves", "{conversation}", "Conversations archived, restored from the archive, or purged from it");
    }

    public void Activated()
    {
        _activations.Add(1);
        _active.Add(1);
    }

    public void Deactivated() => _active.Add(-1);

    public void Summary(string result) => _summaries.Add(1, new KeyValuePair<string, object?>("result", result));

    public void ArchiveMove(string action, long count = 1)
    {
        if (count > 0)
        {
            _archiveMoves.Add(count, new KeyValuePair<string, object?>("action", action));
        }
    }

    public void Dispose() => _meter.Dispose();
}
