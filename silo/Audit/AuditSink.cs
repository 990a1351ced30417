using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;

namespace Parley.Silo.Audit;

/// <summary>Where a finished request's record goes, on the request's own thread: it is sealed into the silo's chain
/// (next sequence number, SHA-256 over the previous hash and its canonical encoding) and put on a bounded queue that
/// <see cref="AuditWriter"/> drains in batches. Never blocks on the store and never drops: when the queue is full (the
/// writer behind, the store slow) the record spills to the spool file instead. Sealing and enqueueing happen under one
/// short lock, so the queue and the spool hold records in chain order.</summary>
internal sealed class AuditSink
{
    private readonly Lock _lock = new();
    private readonly Channel<AuditRecord> _queue;
    private readonly AuditSpool _spool;
    private readonly AuditMetrics _metrics;
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private Utf8JsonWriter? _writer;
    private byte[] _previous = AuditCodec.GenesisHash.ToArray();
    private long _seq;

    public AuditSink(string chain, int capacity, AuditSpool spool, AuditMetrics metrics)
    {
        Chain = chain;
        _spool = spool;
        _metrics = metrics;
        _queue = Channel.CreateBounded<AuditRecord>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        metrics.Observe(this, spool);
    }

    /// <summary>This silo's chain id (its Orleans silo address with generation).</summary>
    public string Chain { get; }

    public ChannelReader<AuditRecord> Reader => _queue.Reader;

    public int QueueDepth => _queue.Reader.Count;

    /// <summary>Records sealed so far (the last sequence number).</summary>
    public long Sealed => Interlocked.Read(ref _seq);

    /// <summary>Seals the record into the chain and queues it (or spills it to the spool when the queue is full or closed).</summary>
    public void Append(AuditRecord record)
    {
        record.Silo = Chain;
        bool spilled;
        lock (_lock)
        {
            record.Seq = ++_seq;
            record.Hash = AuditCodec.ComputeHash(_previous, record, _buffer, ref _writer);
            _previous = record.Hash;
            spilled = !_queue.Writer.TryWrite(record);
            if (spilled)
            {
                _spool.AppendOverflow(record);
            }
        }
        if (spilled)
        {
            _metrics.Spilled();
        }
    }

    /// <summary>No more records will be queued (shutdown): the writer drains what is left; later ones spill.</summary>
    public void Complete() => _queue.Writer.TryComplete();
}
