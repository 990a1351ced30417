using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Parley.Silo.Audit;

/// <summary>The append-only file that holds sealed records the store has not taken: batches written while the store is
/// down (fsync'd per batch), and records that overflowed the full queue (fsync'd by the writer's next pass). One file
/// per silo, held with an exclusive lock while the silo lives; to replay, the file is rotated to a <c>.replay</c> file
/// and a fresh one started, so appends never race a replay. A spool left by a silo that died is adopted at start-up by
/// the next silo using the directory. Replays are exactly once because the store ignores a (silo, seq) it holds.</summary>
internal sealed class AuditSpool : IDisposable
{
    private const string SpoolPrefix = "spool-";
    private const string SpoolSuffix = ".jsonl";
    private const string ReplaySuffix = ".replay";

    private readonly Lock _lock = new();
    private readonly string _directory;
    private readonly string _name;
    private readonly ILogger _logger;
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private Utf8JsonWriter? _writer;
    private FileStream? _file;
    private bool _dirty;
    private long _currentBytes;
    private long _replayBytes;
    private int _rotations;

    public AuditSpool(string directory, string chain, ILogger logger)
    {
        _directory = Path.Combine(directory, "spool");
        System.IO.Directory.CreateDirectory(_directory);
        _name = SpoolPrefix + Safe(chain) + "-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + SpoolSuffix;
        _logger = logger;
        RecountReplays();
    }

    /// <summary>Bytes of records waiting: this silo's spool, and the files waiting for replay in its directory (which
    /// any silo sharing the directory may replay; recounted after each replay).</summary>
    public long PendingBytes => Interlocked.Read(ref _currentBytes) + Interlocked.Read(ref _replayBytes);

    public bool HasPending => PendingBytes > 0;

    /// <summary>Appends a batch and fsyncs it: once this returns, the batch survives a crash.</summary>
    public void AppendBatch(IReadOnlyList<AuditRecord> records)
    {
        lock (_lock)
        {
            _buffer.ResetWrittenCount();
            foreach (var record in records)
            {
                AuditCodec.WriteLine(_buffer, record, ref _writer);
            }
            var file = Open();
            file.Write(_buffer.WrittenSpan);
            file.Flush(flushToDisk: true);
            _dirty = false;
            Interlocked.Add(ref _currentBytes, _buffer.WrittenCount);
        }
    }

    /// <summary>Appends one record that overflowed the queue (written through to the OS, fsync'd by <see cref="Sync"/>).</summary>
    public void AppendOverflow(AuditRecord record)
    {
        lock (_lock)
        {
            _buffer.ResetWrittenCount();
            AuditCodec.WriteLine(_buffer, record, ref _writer);
            var file = Open();
            file.Write(_buffer.WrittenSpan);
            file.Flush(flushToDisk: false);
            _dirty = true;
            Interlocked.Add(ref _currentBytes, _buffer.WrittenCount);
        }
    }

    /// <summary>fsyncs overflow records appended since the last sync.</summary>
    public void Sync()
    {
        lock (_lock)
        {
            if (_dirty && _file is not null)
            {
                _file.Flush(flushToDisk: true);
                _dirty = false;
            }
        }
    }

    /// <summary>Claims spools of silos that are gone (their file is no longer locked), so their records replay here.</summary>
    public void AdoptOrphans()
    {
        foreach (var path in System.IO.Directory.EnumerateFiles(_directory, SpoolPrefix + "*" + SpoolSuffix))
        {
            if (Path.GetFileName(path) == _name)
            {
                continue;
            }
            try
            {
                long length;
                using (var probe = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
                {
                    length = probe.Length;
                }
                File.Move(path, ReplayPath());
                Interlocked.Add(ref _replayBytes, length);
                AuditLog.SpoolAdopted(_logger, Path.GetFileName(path), length);
            }
            catch (IOException)
            {
                // Held by a live silo, or claimed by another one first.
            }
        }
    }

    /// <summary>Writes every spooled record to the store in order, oldest file first, in chunks of
    /// <paramref name="batchSize"/>; a file is deleted once all of it was written. Throws what the store threw (the
    /// rest stays spooled; records already written are ignored when replayed again).</summary>
    public async Task ReplayAsync(Func<IReadOnlyList<AuditRecord>, CancellationToken, Task> write, int batchSize, CancellationToken cancellationToken)
    {
        Rotate();
        var files = System.IO.Directory.GetFiles(_directory, "*" + ReplaySuffix);
        Array.Sort(files, StringComparer.Ordinal);
        foreach (var path in files)
        {
            FileStream stream;
            try
            {
                stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                continue; // Another silo on this directory is replaying it.
            }
            await using (stream.ConfigureAwait(false))
            {
                var batch = new List<AuditRecord>(batchSize);
                using var reader = new StreamReader(stream, leaveOpen: true);
                while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
                {
                    if (line.Length == 0)
                    {
                        continue;
                    }
                    AuditRecord record;
                    try
                    {
                        record = AuditCodec.Parse(System.Text.Encoding.UTF8.GetBytes(line));
                    }
                    catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
                    {
                        // Only a crash mid-append leaves a torn line, and only as the last one: its request's record
                        // never reached disk whole.
                        AuditLog.SpoolLineSkipped(_logger, Path.GetFileName(path));
                        continue;
                    }
                    batch.Add(record);
                    if (batch.Count == batchSize)
                    {
                        await write(batch, cancellationToken).ConfigureAwait(false);
                        batch = new List<AuditRecord>(batchSize);
                    }
                }
                if (batch.Count > 0)
                {
                    await write(batch, cancellationToken).ConfigureAwait(false);
                }
            }
            File.Delete(path);
        }
        RecountReplays();
    }

    private void RecountReplays()
    {
        long bytes = 0;
        foreach (var replay in System.IO.Directory.EnumerateFiles(_directory, "*" + ReplaySuffix))
        {
            try
            {
                bytes += new FileInfo(replay).Length;
            }
            catch (IOException)
            {
                // Replayed and deleted meanwhile.
            }
        }
        Interlocked.Exchange(ref _replayBytes, bytes);
    }

    /// <summary>Moves the current spool aside for replay and starts a fresh one.</summary>
    private void Rotate()
    {
        lock (_lock)
        {
            if (_file is not { Length: > 0 } file)
            {
                return;
            }
            file.Flush(flushToDisk: true);
            _dirty = false;
            var current = file.Name;
            // Renamed while still held, so no other silo can adopt it half-way.
            File.Move(current, ReplayPath());
            file.Dispose();
            _file = null;
            Interlocked.Add(ref _replayBytes, Interlocked.Exchange(ref _currentBytes, 0));
        }
    }

    private string ReplayPath()
        => Path.Combine(_directory, string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow.Ticks:D19}-{Environment.ProcessId}-{Interlocked.Increment(ref _rotations):D6}{ReplaySuffix}"));

    private FileStream Open()
        => _file ??= new FileStream(Path.Combine(_directory, _name), FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 0);

    private static string Safe(string chain)
    {
        Span<char> safe = chain.Length <= 128 ? stackalloc char[chain.Length] : new char[chain.Length];
        for (var i = 0; i < chain.Length; i++)
        {
            var c = chain[i];
            safe[i] = char.IsAsciiLetterOrDigit(c) ? c : '_';
        }
        return new string(safe);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_file is { } file)
            {
                file.Flush(flushToDisk: true);
                var empty = file.Length == 0;
                var path = file.Name;
                file.Dispose();
                _file = null;
                if (empty)
                {
                    File.Delete(path);
                }
            }
            _writer?.Dispose();
        }
    }
}
