using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parley.Cli.Api;
using Parley.Cli.Hosting;

namespace Parley.Cli.Batch;

/// <summary><c>parley batch --remote</c>: the file goes to the server's Batch API (upload, create), the run is followed
/// with the same progress bar as a local one, and the server's output and error files are downloaded to OUT and the
/// error file. The server paces the lines (docs/batch.md); Ctrl-C asks the server to cancel (the lines in flight
/// finish, the rest are reported cancelled, and the files are still downloaded); a second Ctrl-C leaves the batch
/// running and prints its id.</summary>
public static class RemoteBatch
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    public static async Task<int> RunAsync(CommandScope scope, IReadOnlyList<BatchLine> lines, string inputPath, string outputPath, string errorPath,
        CancellationToken cancellationToken)
    {
        var context = scope.Context;
        var client = scope.Client;
        var fileId = await UploadAsync(client, lines, Path.GetFileName(inputPath), cancellationToken).ConfigureAwait(false);
        var created = await client.SendJsonAsync(HttpMethod.Post, "v1/batches", new JsonObject
        {
            ["input_file_id"] = fileId,
            ["endpoint"] = "/v1/chat/completions",
            ["completion_window"] = "24h",
            ["metadata"] = new JsonObject { ["source"] = "parley batch --remote", ["input"] = Path.GetFileName(inputPath) },
        }, cancellationToken).ConfigureAwait(false);
        var batchId = created.GetProperty("id").GetString()!;
        if (!scope.Json)
        {
            context.Error.WriteLine($"batch: submitted {lines.Count} lines as {batchId} (file {fileId}); following it.");
        }

        var stats = new BatchStats(lines.Count, 0, context.Time);
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var cancelRequested = false;
        JsonElement batch = created;
        using (context.CancelSignal.Subscribe(() =>
        {
            if (!cancelRequested)
            {
                cancelRequested = true;
                context.Error.WriteLine($"\nbatch: cancelling {batchId} on the server: the lines in flight finish (Ctrl-C again to stop following it).");
                _ = CancelAsync(client, batchId);
            }
            else
            {
                abandon.Cancel();
            }
            return true;
        }))
        {
            try
            {
                await BatchProgress.RunWithProgressAsync(scope, stats, async () =>
                {
                    while (true)
                    {
                        batch = await client.GetAsync($"v1/batches/{batchId}", abandon.Token).ConfigureAwait(false);
                        Update(stats, batch);
                        if (IsFinal(batch.GetProperty("status").GetString()))
                        {
                            return;
                        }
                        await Task.Delay(PollInterval, context.Time, abandon.Token).ConfigureAwait(false);
                    }
                }, abandon.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (abandon.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                context.Error.WriteLine($"batch: stopped following {batchId}; it goes on on the server (GET /v1/batches/{batchId}).");
                return ExitCodes.Interrupted;
            }
        }

        var status = batch.GetProperty("status").GetString()!;
        if (status == "failed")
        {
            var reasons = batch.GetProperty("errors") is { ValueKind: JsonValueKind.Object } errors
                ? string.Join("; ", errors.GetProperty("data").EnumerateArray().Take(3).Select(e => e.GetProperty("message").GetString()))
                : "no reason given";
            throw new CliException(ExitCodes.ApiError, $"the server refused batch {batchId}: {reasons}", "batch_failed");
        }
        await DownloadAsync(client, batch.GetProperty("output_file_id"), outputPath, cancellationToken).ConfigureAwait(false);
        await DownloadAsync(client, batch.GetProperty("error_file_id"), errorPath, cancellationToken).ConfigureAwait(false);
        var counts = batch.GetProperty("request_counts");
        var (done, failed) = (counts.GetProperty("completed").GetInt32(), counts.GetProperty("failed").GetInt32());
        if (scope.Json)
        {
            scope.WriteJson(new JsonObject
            {
                ["object"] = "batch.summary", ["remote"] = true, ["batch_id"] = batchId, ["status"] = status, ["input"] = inputPath,
                ["output"] = outputPath, ["errors"] = errorPath, ["total"] = lines.Count, ["done"] = done, ["failed"] = failed,
                ["elapsed_seconds"] = Math.Round(stats.Elapsed.TotalSeconds, 3),
            });
        }
        else
        {
            context.Out.WriteLine($"batch: {batchId} {status}: {done} done, {failed} failed of {lines.Count} lines in {BatchProgress.Duration(stats.Elapsed)}. Results: {outputPath}"
                + (failed > 0 ? $"; failures: {errorPath}" : "") + ".");
        }
        return status == "cancelled" || status == "expired" ? ExitCodes.Interrupted : failed > 0 ? ExitCodes.ApiError : ExitCodes.Success;
    }

    /// <summary>Uploads the lines as read (a line without a model has been given the default one).</summary>
    private static async Task<string> UploadAsync(ParleyClient client, IReadOnlyList<BatchLine> lines, string filename, CancellationToken cancellationToken)
    {
        var content = new StringBuilder();
        foreach (var line in lines)
        {
            content.Append(new JsonObject
            {
                ["custom_id"] = line.CustomId, ["method"] = "POST", ["url"] = line.Url, ["body"] = line.Body.DeepClone(),
            }.ToJsonString()).Append('\n');
        }
        using var form = new MultipartFormDataContent { { new StringContent("batch"), "purpose" } };
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(content.ToString()));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        form.Add(file, "file", filename);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/files") { Content = form };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        return document.RootElement.GetProperty("id").GetString()!;
    }

    private static async Task CancelAsync(ParleyClient client, string batchId)
    {
        try
        {
            await client.SendJsonAsync(HttpMethod.Post, $"v1/batches/{batchId}/cancel", null, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CliException or HttpRequestException)
        {
            // The next poll shows whether the batch still runs; a second Ctrl-C stops following it.
        }
    }

    /// <summary>Writes the server's file to <paramref name="path"/>, or an empty file when the batch wrote none.</summary>
    private static async Task DownloadAsync(ParleyClient client, JsonElement fileId, string path, CancellationToken cancellationToken)
    {
        if (fileId.ValueKind != JsonValueKind.String)
        {
            await File.WriteAllTextAsync(path, "", cancellationToken).ConfigureAwait(false);
            return;
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/files/{fileId.GetString()}/content");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await using var target = File.Create(path);
        await response.Content.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Brings the local counters up to the server's (they only grow).</summary>
    private static void Update(BatchStats stats, JsonElement batch)
    {
        var counts = batch.GetProperty("request_counts");
        for (var i = stats.Done; i < counts.GetProperty("completed").GetInt32(); i++)
        {
            stats.Succeeded(0);
        }
        for (var i = stats.Failed; i < counts.GetProperty("failed").GetInt32(); i++)
        {
            stats.FailedOne();
        }
    }

    private static bool IsFinal(string? status) => status is "completed" or "failed" or "expired" or "cancelled";
}
