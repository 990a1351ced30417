using System.ClientModel;
using System.Net;
using System.Text.Json;
using OpenAI;
using OpenAI.Files;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Batches;

public sealed class BatchApiFixture : SiloFixture
{
    protected override void Configure(IDictionary<string, string?> settings)
        => settings["Parley:Batch:RequestsPerSecond"] = "200";
}

/// <summary><c>/v1/batches</c> on a real silo and simulator: the official SDK's flow, OpenAI's Batch object and
/// output/error lines, validation, ownership, listing.</summary>
public sealed class BatchApiTests(BatchApiFixture fixture) : IClassFixture<BatchApiFixture>
{
    private static readonly TimeSpan FinishTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_SDK_uploads_creates_polls_and_downloads_and_every_line_is_sent_once_with_failures_in_the_error_file()
    {
        var openAI = new OpenAIClient(new ApiKeyCredential(fixture.Key), new OpenAIClientOptions { Endpoint = new Uri(fixture.Harness.SiloUrl, "v1") });
        var files = openAI.GetOpenAIFileClient();
        var batches = openAI.GetBatchClient();
        var input = BatchFiles.Input(5, "sdk prompt") + BatchFiles.Line("unknown-model", "never sent", model: "no-such-model") + "\n";

        OpenAIFile file = await files.UploadFileAsync(BinaryData.FromString(input), "sdk.jsonl", FileUploadPurpose.Batch);
        var operation = await batches.CreateBatchAsync(BinaryContent.Create(BinaryData.FromString(
            $$$"""{"input_file_id":"{{{file.Id}}}","endpoint":"/v1/chat/completions","completion_window":"24h","metadata":{"job":"sdk"}}""")), waitUntilCompleted: false);
        var deadline = DateTime.UtcNow + FinishTimeout;
        while (!operation.HasCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline, "the batch did not finish");
            await Task.Delay(50);
            await operation.UpdateStatusAsync();
        }
        var batch = JsonDocument.Parse((await operation.GetBatchAsync(new System.ClientModel.Primitives.RequestOptions())).GetRawResponse().Content).RootElement;

        Assert.Equal(
            ["id", "object", "endpoint", "errors", "input_file_id", "completion_window", "status", "output_file_id", "error_file_id", "created_at",
             "in_progress_at", "expires_at", "finalizing_at", "completed_at", "failed_at", "expired_at", "cancelling_at", "cancelled_at", "request_counts", "metadata"],
            batch.EnumerateObject().Select(p => p.Name));
        Assert.Matches("^batch_[0-9a-f]{32}$", operation.BatchId);
        Assert.Equal(("batch", "completed", file.Id), (batch.GetProperty("object").GetString(), batch.GetProperty("status").GetString(), batch.GetProperty("input_file_id").GetString()));
        Assert.Equal(JsonValueKind.Null, batch.GetProperty("errors").ValueKind);
        Assert.Equal("""{"total":6,"completed":5,"failed":1}""", batch.GetProperty("request_counts").GetRawText());
        Assert.Equal("""{"job":"sdk"}""", batch.GetProperty("metadata").GetRawText());
        Assert.Equal(batch.GetProperty("created_at").GetInt64() + 24 * 3600, batch.GetProperty("expires_at").GetInt64());
        foreach (var name in new[] { "in_progress_at", "finalizing_at", "completed_at" })
        {
            Assert.Equal(JsonValueKind.Number, batch.GetProperty(name).ValueKind);
        }
        foreach (var name in new[] { "failed_at", "expired_at", "cancelling_at", "cancelled_at" })
        {
            Assert.Equal(JsonValueKind.Null, batch.GetProperty(name).ValueKind);
        }

        BinaryData output = await files.DownloadFileAsync(batch.GetProperty("output_file_id").GetString()!);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["r0", "r1", "r2", "r3", "r4"], lines.Select(l => l.GetProperty("custom_id").GetString()));
        foreach (var line in lines)
        {
            Assert.Equal(["id", "custom_id", "response", "error"], line.EnumerateObject().Select(p => p.Name));
            Assert.Matches("^batch_req_[0-9a-f]{32}$", line.GetProperty("id").GetString());
            var response = line.GetProperty("response");
            Assert.Equal(200, response.GetProperty("status_code").GetInt32());
            Assert.Equal(line.GetProperty("id").GetString(), response.GetProperty("request_id").GetString());
            Assert.Equal("chat.completion", response.GetProperty("body").GetProperty("object").GetString());
            Assert.StartsWith("Echo: sdk prompt " + line.GetProperty("custom_id").GetString()![1..],
                response.GetProperty("body").GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(), StringComparison.Ordinal);
            Assert.Equal(JsonValueKind.Null, line.GetProperty("error").ValueKind);
        }
        var errors = await BatchFiles.ContentLinesAsync(fixture.Client, batch.GetProperty("error_file_id").GetString()!);
        var failed = Assert.Single(errors);
        Assert.Equal("unknown-model", failed.GetProperty("custom_id").GetString());
        Assert.Equal(404, failed.GetProperty("response").GetProperty("status_code").GetInt32());
        Assert.Equal("model_not_found", failed.GetProperty("response").GetProperty("body").GetProperty("error").GetProperty("code").GetString());
        // Each line reached the upstream exactly once; the refused one never (the other tests' batches run beside it).
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"sdk prompt {i}"),
            BatchFiles.SentPrompts(fixture.Harness).Where(p => p.StartsWith("sdk prompt", StringComparison.Ordinal) || p == "never sent").Order());
        var outputFile = await BatchFiles.GetAsync(fixture.Client, $"v1/files/{batch.GetProperty("output_file_id").GetString()}");
        Assert.Equal("batch_output", outputFile.GetProperty("purpose").GetString());
    }

    public static TheoryData<string, HttpStatusCode, string, string?> InvalidCreations => new()
    {
        { """{"endpoint":"/v1/chat/completions","completion_window":"24h"}""", HttpStatusCode.BadRequest, "missing_required_parameter", "input_file_id" },
        { """{"input_file_id":"FILE","completion_window":"24h"}""", HttpStatusCode.BadRequest, "missing_required_parameter", "endpoint" },
        { """{"input_file_id":"FILE","endpoint":"/v1/chat/completions"}""", HttpStatusCode.BadRequest, "missing_required_parameter", "completion_window" },
        { """{"input_file_id":"FILE","endpoint":"/v1/embeddings","completion_window":"24h"}""", HttpStatusCode.BadRequest, "invalid_value", "endpoint" },
        { """{"input_file_id":"FILE","endpoint":"/v1/chat/completions","completion_window":"1h"}""", HttpStatusCode.BadRequest, "invalid_value", "completion_window" },
        { """{"input_file_id":7,"endpoint":"/v1/chat/completions","completion_window":"24h"}""", HttpStatusCode.BadRequest, "invalid_type", "input_file_id" },
        { """{"input_file_id":"FILE","endpoint":"/v1/chat/completions","completion_window":"24h","priority":1}""", HttpStatusCode.BadRequest, "unknown_parameter", "priority" },
        { """{"input_file_id":"file-00000000000000000000000000000000","endpoint":"/v1/chat/completions","completion_window":"24h"}""", HttpStatusCode.BadRequest, "file_not_found", "input_file_id" },
        { """{"input_file_id":"FILE","endpoint":"/v1/chat/completions","completion_window":"24h","metadata":{"k":5}}""", HttpStatusCode.BadRequest, "invalid_type", null },
        { "[]", HttpStatusCode.BadRequest, "invalid_type", null },
        { "", HttpStatusCode.BadRequest, "invalid_json", null },
    };

    [Theory]
    [MemberData(nameof(InvalidCreations))]
    public async Task Creating_a_batch_refuses_bad_fields_in_OpenAIs_shape(string body, HttpStatusCode status, string code, string? param)
    {
        var fileId = await BatchFiles.UploadIdAsync(fixture.Client, BatchFiles.Input(1));

        using var response = await fixture.Client.PostAsync("v1/batches", Http.Json(body.Replace("FILE", fileId, StringComparison.Ordinal)));

        await response.AssertErrorAsync(status, code, param);
    }

    [Fact]
    public async Task A_batch_cannot_run_another_users_file_and_is_invisible_to_another_user()
    {
        var (_, otherKey) = await fixture.Harness.CreateUserAsync("batch-stranger");
        var other = fixture.Harness.CreateClient(otherKey);
        var fileId = await BatchFiles.UploadIdAsync(fixture.Client, BatchFiles.Input(1));
        using (var foreignFile = await other.PostAsync("v1/batches", Http.Json($$"""{"input_file_id":"{{fileId}}","endpoint":"/v1/chat/completions","completion_window":"24h"}""")))
        {
            await foreignFile.AssertErrorAsync(HttpStatusCode.BadRequest, "file_not_found", "input_file_id");
        }
        var batchId = (await BatchFiles.CreateAsync(fixture.Client, fileId)).GetProperty("id").GetString()!;

        using (var get = await other.GetAsync($"v1/batches/{batchId}"))
        {
            await get.AssertErrorAsync(HttpStatusCode.NotFound, "batch_not_found");
        }
        using (var cancel = await other.PostAsync($"v1/batches/{batchId}/cancel", null))
        {
            await cancel.AssertErrorAsync(HttpStatusCode.NotFound, "batch_not_found");
        }
        Assert.Empty((await BatchFiles.GetAsync(other, "v1/batches")).GetProperty("data").EnumerateArray());
        using (var malformed = await fixture.Client.GetAsync("v1/batches/batch_nope"))
        {
            await malformed.AssertErrorAsync(HttpStatusCode.NotFound, "batch_not_found");
        }
        // Its owner sees it.
        Assert.Equal(batchId, (await BatchFiles.GetAsync(fixture.Client, $"v1/batches/{batchId}")).GetProperty("id").GetString());
    }

    [Fact]
    public async Task Batches_are_listed_newest_first_in_pages_after_a_cursor()
    {
        var (_, key) = await fixture.Harness.CreateUserAsync("batch-lister");
        var client = fixture.Harness.CreateClient(key);
        var fileId = await BatchFiles.UploadIdAsync(client, BatchFiles.Input(1));
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await BatchFiles.CreateAsync(client, fileId)).GetProperty("id").GetString()!);
            // Creation times are milliseconds apart at least, so the order is the creation order.
            await Task.Delay(5);
        }

        var first = await BatchFiles.GetAsync(client, "v1/batches?limit=2");
        Assert.Equal([ids[2], ids[1]], first.GetProperty("data").EnumerateArray().Select(b => b.GetProperty("id").GetString()!));
        Assert.True(first.GetProperty("has_more").GetBoolean());
        Assert.Equal((ids[2], ids[1]), (first.GetProperty("first_id").GetString(), first.GetProperty("last_id").GetString()));
        var second = await BatchFiles.GetAsync(client, $"v1/batches?limit=2&after={ids[1]}");
        Assert.Equal([ids[0]], second.GetProperty("data").EnumerateArray().Select(b => b.GetProperty("id").GetString()!));
        Assert.False(second.GetProperty("has_more").GetBoolean());
        using var badLimit = await client.GetAsync("v1/batches?limit=101");
        await badLimit.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_value", "limit");
    }
}
