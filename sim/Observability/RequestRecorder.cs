namespace Parley.Sim.Observability;

/// <summary>A fixed-size ring of the most recent request bodies.</summary>
internal sealed class RequestRecorder(int capacity)
{
    private readonly RecordedRequest?[] _items = new RecordedRequest?[capacity];
    private readonly Lock _lock = new();
    private long _sequence;

    public bool Enabled => _items.Length > 0;

    public long NextSequence() => Interlocked.Increment(ref _sequence);

    public void Add(RecordedRequest request)
    {
        if (!Enabled)
        {
            return;
        }
        lock (_lock)
        {
            _items[request.Sequence % _items.Length] = request;
        }
    }

    /// <summary>The recorded requests, oldest first.</summary>
    public IReadOnlyList<RecordedRequest> Snapshot()
    {
        lock (_lock)
        {
            return _items.Where(r => r is not null).Select(r => r!).OrderBy(r => r.Sequence).ToArray();
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            Array.Clear(_items);
            Interlocked.Exchange(ref _sequence, 0);
        }
    }
}
