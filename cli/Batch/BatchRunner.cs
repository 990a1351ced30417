using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Parley.Cli.Api;
using Parley.Documents.Pacing;

namespace Parley.Cli.Batch;

/// <param name="Concurrency">Lines in flight at once.</param>
/// <param name="Qps">Requests started per second at most (retries included); null for no limit.</param>
public sealed record BatchSettings(int Concurrency, double? Qps, int MaxRetries);

/// <summary>Sends the lines not yet finished, paced and bounded, each retried by status class; writes each result to
/// the output (or error) file and then records it in the journal. <see cref="Drain"/> (the first Ctrl-C) stops
/// starting lines and lets those in flight finish; cancelling the token (the second) abandons them.</summary>
public sealed class BatchRunner(ParleyClient client, BatchSettings settings, BatchJournal journal, BatchOutputs outputs, BatchStats stats, TimeProvider time)
{
    private readonly RequestPacer _pacer = new(settings.Qps, time);
    private readonly RetryPolicy _retry = new(settings.MaxRetries, time);
    private readonly CancellationTokenSource _drain = new();

    public bool Draining => _drain.IsCancellationRequested;

    public void Drain() => _drain.Cancel();

    public async Task RunAsync(IReadOnlyList<BatchLine> pending, CancellationToken cancellationToken)
    {
        var queue = Channel.CreateBounded<BatchLine>(Math.Max(1, settings.Concurrency));
        var workers = Enumerable.Range(0, settings.Concurrency).Select(_ => WorkAsync(queue.Reader, cancellationToken)).ToList();
        try
        {
            foreach (var line in pending)
            {
                if (Draining)
                {
                    break;
                }
                try
                {
                    await queue.Writer.WriteAsync(line, _drain.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (Draining)
                {
                    break;
                }
            }
        }
        finally
        {
            queue.Writer.TryComplete();
        }
        await Task.WhenAll(workers).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private async Task WorkAsync(ChannelReader<BatchLine> reader, CancellationToken cancellationToken)
    {
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            // A line waiting in the queue when draining starts is left for the next run.
            if (Draining || !reader.TryRead(out var line))
            {
                if (Draining)
                {
                    return;
                }
                continue;
            }
            stats.Started();
            try
            {
                await SendAsync(line, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                stats.Ended();
            }
        }
    }

    private async Task SendAsync(BatchLine line, CancellationToken cancellationToken)
    {
        var sent = false;
        try
        {
            var (body, response) = await _retry.RunAsync(async (_, token) =>
            {
                if (!sent)
                {
                    journal.Sent(line.CustomId);
                    sent = true;
                }
                stats.Sending();
                return await ChatCompletions.CompleteAsync(client, (JsonObject)line.Body.DeepClone(), null, token).ConfigureAwait(false);
            }, (token) => _pacer.WaitAsync(token), (_, _, _) => stats.Retried(), cancellationToken).ConfigureAwait(false);
            using (response)
            {
                var result = new JsonObject
                {
                    ["id"] = RequestId(),
                    ["custom_id"] = line.CustomId,
                    ["response"] = new JsonObject
                    {
                        ["status_code"] = (int)response.StatusCode,
                        ["request_id"] = Header(response, "x-request-id"),
                        ["body"] = JsonNode.Parse(body.GetRawText()),
                    },
                    ["error"] = null,
                };
                outputs.WriteResult(result);
                journal.Finished(line.CustomId, succeeded: true);
                stats.Succeeded(body.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object ? Usage.From(usage).TotalTokens : 0);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            outputs.WriteError(ErrorLine(line, e));
            journal.Finished(line.CustomId, succeeded: false);
            stats.FailedOne();
        }
    }

    private static JsonObject ErrorLine(BatchLine line, Exception failure)
    {
        JsonNode? response = null;
        string code, message;
        if (failure is ParleyApiException api)
        {
            code = api.Code ?? api.Type ?? "http_" + (int)api.Status;
            message = api.Message;
            response = new JsonObject
            {
                ["status_code"] = (int)api.Status,
                ["request_id"] = null,
                ["body"] = new JsonObject { ["error"] = new JsonObject { ["message"] = api.Message, ["type"] = api.Type, ["code"] = api.Code } },
            };
        }
        else
        {
            code = failure is ServerUnreachableException ? "server_unreachable" : "connection_failed";
            message = failure.Message;
        }
        return new JsonObject
        {
            ["id"] = RequestId(),
            ["custom_id"] = line.CustomId,
            ["response"] = response,
            ["error"] = new JsonObject { ["code"] = code, ["message"] = message },
        };
    }

    private static string RequestId() => "batch_req_" + Guid.NewGuid().ToString("N");

    private static string? Header(HttpResponseMessage response, string name)
        => response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
