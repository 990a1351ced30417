using System.Text.Json;
using System.Text.Json.Nodes;

namespace Parley.Cli.Batch;

/// <summary>The output and error files, appended to line by line (OpenAI's batch output format). On resume a line
/// cut short by a killed run is dropped, and lines written but not yet journaled count as finished.</summary>
public sealed class BatchOutputs : IDisposable
{
    private readonly StreamWriter _output;
    private readonly StreamWriter _errors;
    private readonly Lock _lock = new();

    private BatchOutputs(StreamWriter output, StreamWriter errors)
    {
        _output = output;
        _errors = errors;
    }

    /// <summary>Opens both files for appending after repairing them; returns the custom_ids found in each.</summary>
    public static BatchOutputs Open(string outputPath, string errorPath, bool restart, out HashSet<string> written, out HashSet<string> failed)
    {
        written = Repair(outputPath, restart);
        failed = Repair(errorPath, restart);
        return new BatchOutputs(Append(outputPath), Append(errorPath));
    }

    public void WriteResult(JsonObject line) => Write(_output, line);

    public void WriteError(JsonObject line) => Write(_errors, line);

    private void Write(StreamWriter writer, JsonObject line)
    {
        lock (_lock)
        {
            writer.WriteLine(line.ToJsonString(Hosting.JsonOutput.Options));
            writer.Flush();
        }
    }

    /// <summary>Keeps the whole lines (each a JSON object with a custom_id) and truncates anything after the last one.</summary>
    private static HashSet<string> Repair(string path, bool restart)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        if (restart || !File.Exists(path))
        {
            File.WriteAllBytes(path, []);
            return ids;
        }
        var bytes = File.ReadAllBytes(path);
        var keep = 0;
        var start = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != (byte)'\n')
            {
                continue;
            }
            try
            {
                if (JsonNode.Parse(bytes.AsSpan(start, i - start)) is JsonObject line && line["custom_id"]?.GetValue<string>() is { } id)
                {
                    ids.Add(id);
                    keep = i + 1;
                }
            }
            catch (JsonException)
            {
                break;
            }
            start = i + 1;
        }
        if (keep < bytes.Length)
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
            stream.SetLength(keep);
        }
        return ids;
    }

    private static StreamWriter Append(string path)
        => new(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new System.Text.UTF8Encoding(false));

    public void Dispose()
    {
        _output.Dispose();
        _errors.Dispose();
    }
}
