using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Parley.Documents.Pacing;
using Parley.Documents.Pipeline;
using Parley.GrainInterfaces.Documents;
using Parley.Grains.Batches;
using Parley.Grains.Documents;
using Parley.Silo.Tests.Batches;
using Parley.Silo.Tests.Infrastructure;
using Parley.Tokenizer;
using Xunit;

namespace Parley.Silo.Tests.Documents;

public sealed class DocumentJobFixture : SiloFixture
{
    /// <summary>A small window, so a few pages make many chunks and the answers take more than one round of merging.</summary>
    public const int Window = 512;

    protected override void Configure(IDictionary<string, string?> settings)
        => settings[$"Parley:Models:{SiloHarness.Model}:ContextWindow"] = Window.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Answers as long as the reply allowance, so that merging needs more than one round.</summary>
    protected override void ConfigureSimulator(Sim.Hosting.SimulatorOptions options)
    {
        options.RecordedRequests = 1000;
        options.ResponseTokens = 200;
    }
}

/// <summary><c>/v1/document_jobs</c> on a real silo and simulator: a long text cut into token-exact chunks, each sent
/// once through the chat path, the answers merged until one is left; progress to poll; validation, ownership, cancel;
/// and a job resumed from its log sends again only the call that was in flight and reuses every answer.</summary>
public sealed class DocumentJobTests(DocumentJobFixture fixture) : IClassFixture<DocumentJobFixture>
{
    private static readonly TimeSpan FinishTimeout = TimeSpan.FromSeconds(60);
    private const int MaxOutput = 48;
    private const int ChunkTokens = 200;
    private const int Overlap = 20;

    [Fact]
    public async Task A_long_text_is_summarized_with_each_chunk_sent_once_and_every_prompt_within_the_window()
    {
        var marker = Guid.NewGuid().ToString("N")[..8];
        var text = Document(marker, paragraphs: 40);
        var before = fixture.Harness.SimState.RecentRequests.Count;

        var created = await CreateAsync(new { model = SiloHarness.Model, input = text, max_output_tokens = MaxOutput, chunk_tokens = ChunkTokens,
            overlap_tokens = Overlap, concurrency = 4, metadata = new { report = "q3" } });
        Assert.Equal(["id", "object", "model", "task", "status", "input_file_id", "created_at", "in_progress_at", "completed_at", "failed_at",
            "cancelled_at", "progress", "chunks", "reduce_levels", "usage", "output", "error", "metadata"], created.EnumerateObject().Select(p => p.Name));
        Assert.Matches("^docjob_[0-9a-f]{32}$", created.GetProperty("id").GetString());
        Assert.Equal(("document_job", "summarize"), (created.GetProperty("object").GetString(), created.GetProperty("task").GetString()));
        var job = await FinishAsync(created.GetProperty("id").GetString()!);

        Assert.Equal("completed", job.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, job.GetProperty("error").ValueKind);
        Assert.StartsWith("Echo: ", job.GetProperty("output").GetString(), StringComparison.Ordinal);
        Assert.Equal("""{"report":"q3"}""", job.GetProperty("metadata").GetRawText());
        var chunks = ExpectedChunks(text, PipelineOptions.DefaultSummarizeMapInstruction, PipelineOptions.DefaultSummarizeReduceInstruction);
        Assert.True(chunks.Count >= 10, $"{chunks.Count} chunks");
        Assert.Equal(chunks.Count, job.GetProperty("chunks").GetInt32());

        var sent = Requests(before);
        var map = sent.Where(r => r.System == PipelineOptions.DefaultSummarizeMapInstruction).ToList();
        var reduce = sent.Where(r => r.System == PipelineOptions.DefaultSummarizeReduceInstruction).ToList();
        Assert.Equal(sent.Count, map.Count + reduce.Count);
        // Every chunk exactly once, as the library cuts it.
        Assert.Equal(chunks.Select(c => c.Text).Order(StringComparer.Ordinal), map.Select(r => r.User).Order(StringComparer.Ordinal));
        Assert.True(job.GetProperty("reduce_levels").GetInt32() >= 2, job.GetRawText());
        Assert.True(reduce.Count >= 2, $"{reduce.Count} reduce calls");
        var usage = job.GetProperty("usage");
        Assert.Equal(sent.Count, usage.GetProperty("calls").GetInt32());
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt64() + usage.GetProperty("completion_tokens").GetInt64(), usage.GetProperty("total_tokens").GetInt64());
        var counter = new Tokenizer.Chat.ChatTokenCounter(TiktokenEncoding.Get(TiktokenEncoding.O200kBaseName));
        foreach (var request in sent)
        {
            Assert.Equal(MaxOutput, request.MaxTokens);
            var prompt = counter.CountPrompt([new("system", request.System), new("user", request.User)]);
            Assert.True(prompt + MaxOutput <= DocumentJobFixture.Window, $"a prompt of {prompt} tokens");
        }
        // The text was kept as the user's file.
        using var file = await fixture.Client.GetAsync($"v1/files/{job.GetProperty("input_file_id").GetString()}/content");
        Assert.Equal(text, await file.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_map_job_applies_the_callers_prompt_to_every_chunk_and_merges_with_its_merge_prompt()
    {
        var marker = Guid.NewGuid().ToString("N")[..8];
        var text = Document(marker, paragraphs: 12);
        var before = fixture.Harness.SimState.RecentRequests.Count;
        const string prompt = "List every name in this part.";
        const string merge = "Merge these lists of names.";

        var created = await CreateAsync(new { model = SiloHarness.Model, input = text, task = "map", prompt, merge_prompt = merge,
            max_output_tokens = MaxOutput, chunk_tokens = ChunkTokens, overlap_tokens = Overlap });
        var job = await FinishAsync(created.GetProperty("id").GetString()!);

        Assert.Equal(("completed", "map"), (job.GetProperty("status").GetString(), job.GetProperty("task").GetString()));
        var sent = Requests(before);
        var chunks = ExpectedChunks(text, prompt, merge);
        Assert.Equal(chunks.Count, sent.Count(r => r.System == prompt));
        Assert.Equal(sent.Count - chunks.Count, sent.Count(r => r.System == merge));
        Assert.True(sent.Count > chunks.Count);
    }

    [Fact]
    public async Task A_job_resumed_from_its_log_sends_again_only_the_call_in_flight_and_reuses_every_answer()
    {
        var services = fixture.Harness.Services;
        var files = services.GetRequiredService<IBatchFileStore>();
        var log = services.GetRequiredService<IBatchProgressStore>();
        var grains = services.GetRequiredService<IGrainFactory>();
        var marker = Guid.NewGuid().ToString("N")[..8];
        var text = Document(marker, paragraphs: 12);
        var chunks = ExpectedChunks(text, PipelineOptions.DefaultSummarizeMapInstruction, PipelineOptions.DefaultSummarizeReduceInstruction);
        var fileId = "file-" + Guid.NewGuid().ToString("N");
        var jobId = "docjob_" + Guid.NewGuid().ToString("N");
        await files.SaveAsync(new StoredFile(fileId, fixture.UserId, "document.txt", FilePurposes.UserData, Encoding.UTF8.GetByteCount(text), 0, 0),
            Encoding.UTF8.GetBytes(text));
        // As an earlier run on a silo that died left it: chunk 0 started and never answered, chunk 1 answered.
        Assert.True(await log.TryStartAsync(jobId, Line(0, attempt: 0), jobId + "/1"));
        Assert.True(await log.TryStartAsync(jobId, Line(1, attempt: 0), jobId + "/1"));
        Assert.True(await log.CompleteAsync(jobId, new LineResult(Line(1, attempt: 0), true,
            Encoding.UTF8.GetBytes("""{"text":"STORED ANSWER OF CHUNK 1","prompt_tokens":7,"completion_tokens":5}"""))));
        var before = fixture.Harness.SimState.RecentRequests.Count;

        var created = await grains.GetGrain<IDocumentJobGrain>(jobId).CreateAsync(new DocumentJobCreation
        {
            UserId = fixture.UserId,
            KeyId = "",
            Model = SiloHarness.Model,
            Task = DocumentJobTasks.Summarize,
            InputFileId = fileId,
            MapInstruction = PipelineOptions.DefaultSummarizeMapInstruction,
            ReduceInstruction = PipelineOptions.DefaultSummarizeReduceInstruction,
            ContextWindow = DocumentJobFixture.Window,
            Encoding = TiktokenEncoding.O200kBaseName,
            MaxOutputTokens = MaxOutput,
            ChunkTokens = ChunkTokens,
            OverlapTokens = Overlap,
            Concurrency = 2,
        });
        Assert.NotNull(created);
        var job = await FinishAsync(jobId);

        Assert.Equal("completed", job.GetProperty("status").GetString());
        var map = Requests(before).Where(r => r.System == PipelineOptions.DefaultSummarizeMapInstruction).Select(r => r.User).ToList();
        Assert.Equal(chunks.Count - 1, map.Count);
        Assert.DoesNotContain(chunks[1].Text, map);
        Assert.Single(map, chunks[0].Text);
        Assert.Contains(Requests(before), r => r.User.Contains("STORED ANSWER OF CHUNK 1", StringComparison.Ordinal));
        var progress = await log.ReadAsync(jobId);
        Assert.True(progress.Results[Line(0, attempt: 1)].Succeeded);
        Assert.False(progress.Results.ContainsKey(Line(0, attempt: 0)));
    }

    [Fact]
    public async Task Bad_requests_get_OpenAI_errors_and_nothing_is_stored()
    {
        var text = Document("bad", 3);
        await AssertErrorAsync(new { input = text }, HttpStatusCode.BadRequest, "missing_required_parameter", "model");
        await AssertErrorAsync(new { model = SiloHarness.Model }, HttpStatusCode.BadRequest, "missing_required_parameter", "input");
        await AssertErrorAsync(new { model = "no-such-model", input = text }, HttpStatusCode.NotFound, "model_not_found", "model");
        await AssertErrorAsync(new { model = SiloHarness.Model, input = "   " }, HttpStatusCode.BadRequest, "invalid_value", "input");
        await AssertErrorAsync(new { model = SiloHarness.Model, input = text, task = "translate" }, HttpStatusCode.BadRequest, "invalid_value", "task");
        await AssertErrorAsync(new { model = SiloHarness.Model, input = text, task = "map" }, HttpStatusCode.BadRequest, "missing_required_parameter", "prompt");
        await AssertErrorAsync(new { model = SiloHarness.Model, input = text, prompt = "x" }, HttpStatusCode.BadRequest, "invalid_value", "prompt");
        await AssertErrorAsync(new { model = SiloHarness.Model, input = text, concurrency = 17 }, HttpStatusCode.BadRequest, "invalid_value", "concurrency");
        await AssertErrorAsync(new { model = SiloHarness.Model, input = text, max_output_tokens = "many" }, HttpStatusCode.BadRequest, "invalid_type", "max_output_tokens");
        await AssertErrorAsync(new { model = SiloHarness.Model, input = text, max_output_tokens = 400 }, HttpStatusCode.BadRequest, "invalid_value", "max_output_tokens");
        await AssertErrorAsync(new { model = SiloHarness.Model, input = text, chunk_tokens = 100, overlap_tokens = 100 }, HttpStatusCode.BadRequest, "invalid_value", "chunk_tokens");
        await AssertErrorAsync(new { model = SiloHarness.Model, input = text, colour = "blue" }, HttpStatusCode.BadRequest, "unknown_parameter", "colour");
    }

    [Fact]
    public async Task Another_users_job_does_not_exist_for_them_and_lists_show_only_ones_own()
    {
        var created = await CreateAsync(new { model = SiloHarness.Model, input = Document("own", 3), max_output_tokens = MaxOutput });
        var id = created.GetProperty("id").GetString()!;
        var (_, otherKey) = await fixture.Harness.CreateUserAsync("document-other-" + Guid.NewGuid().ToString("N")[..6]);
        using var other = fixture.Harness.CreateClient(otherKey);

        foreach (var response in new[] { await other.GetAsync($"v1/document_jobs/{id}"), await other.PostAsync($"v1/document_jobs/{id}/cancel", null),
            await fixture.Client.GetAsync("v1/document_jobs/docjob_nothere") })
        {
            using (response)
            {
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
                Assert.Equal("document_job_not_found", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());
            }
        }
        var theirs = await BatchFiles.SuccessAsync(await other.GetAsync("v1/document_jobs"));
        Assert.Equal(0, theirs.GetProperty("data").GetArrayLength());
        var mine = await BatchFiles.SuccessAsync(await fixture.Client.GetAsync("v1/document_jobs?limit=100"));
        Assert.Equal("list", mine.GetProperty("object").GetString());
        Assert.Contains(mine.GetProperty("data").EnumerateArray(), j => j.GetProperty("id").GetString() == id);
        await FinishAsync(id);
    }

    [Fact]
    public async Task A_cancelled_job_stops_sending_and_ends_cancelled()
    {
        var marker = Guid.NewGuid().ToString("N")[..8];
        var text = Document(marker, paragraphs: 200);
        var created = await CreateAsync(new { model = SiloHarness.Model, input = text, max_output_tokens = MaxOutput, chunk_tokens = ChunkTokens,
            overlap_tokens = Overlap, concurrency = 1 });
        var id = created.GetProperty("id").GetString()!;

        var cancelled = await BatchFiles.SuccessAsync(await fixture.Client.PostAsync($"v1/document_jobs/{id}/cancel", null));
        Assert.Contains(cancelled.GetProperty("status").GetString(), new[] { "cancelling", "cancelled" });
        var job = await FinishAsync(id);

        Assert.Equal("cancelled", job.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Number, job.GetProperty("cancelled_at").ValueKind);
        Assert.Equal(JsonValueKind.Null, job.GetProperty("output").ValueKind);
        var chunks = ExpectedChunks(text, PipelineOptions.DefaultSummarizeMapInstruction, PipelineOptions.DefaultSummarizeReduceInstruction);
        var sent = fixture.Harness.SimState.RecentRequests.Count(r => r.Body.Contains(marker, StringComparison.Ordinal));
        Assert.True(sent < chunks.Count, $"{sent} of {chunks.Count} chunks sent after the cancel");
    }

    private async Task AssertErrorAsync(object body, HttpStatusCode status, string code, string param)
    {
        using var response = await fixture.Client.PostAsJsonAsync("v1/document_jobs", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{(int)response.StatusCode}: {text}");
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.Equal((code, param), (error.GetProperty("code").GetString(), error.GetProperty("param").GetString()));
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
    }

    private async Task<JsonElement> CreateAsync(object body)
        => await BatchFiles.SuccessAsync(await fixture.Client.PostAsJsonAsync("v1/document_jobs", body));

    private async Task<JsonElement> FinishAsync(string id)
    {
        var deadline = DateTime.UtcNow + FinishTimeout;
        while (true)
        {
            var job = await BatchFiles.SuccessAsync(await fixture.Client.GetAsync($"v1/document_jobs/{id}"));
            if (DocumentJobStatuses.IsFinal(job.GetProperty("status").GetString()!))
            {
                return job;
            }
            Assert.True(DateTime.UtcNow < deadline, $"the job did not finish: {job.GetRawText()}");
            await Task.Delay(50);
        }
    }

    private static int Line(int chunk, int attempt) => (chunk * DocumentJobRun.AttemptsPerCall) + attempt;

    private static IReadOnlyList<Parley.Documents.Chunking.TextChunk> ExpectedChunks(string text, string map, string reduce)
        => new MapReducePipeline(new NoCalls(), new RequestPacer(null), TiktokenEncoding.Get(TiktokenEncoding.O200kBaseName), new PipelineOptions
        {
            MapInstruction = map,
            ReduceInstruction = reduce,
            ContextWindow = DocumentJobFixture.Window,
            MaxOutputTokens = MaxOutput,
            ChunkTokens = ChunkTokens,
            OverlapTokens = Overlap,
        }).Chunk(text);

    private List<(string System, string User, int MaxTokens)> Requests(int before)
        => [.. fixture.Harness.SimState.RecentRequests.Skip(before).Select(r =>
        {
            var root = JsonDocument.Parse(r.Body).RootElement;
            var messages = root.GetProperty("messages");
            return (messages[0].GetProperty("content").GetString()!, messages[1].GetProperty("content").GetString()!, root.GetProperty("max_tokens").GetInt32());
        })];

    private static string Document(string marker, int paragraphs)
    {
        var text = new StringBuilder();
        for (var i = 0; i < paragraphs; i++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture,
                $"Section {i} of report {marker}. The committee met on day {i} and reviewed the budget of unit {i * 7}. ")
                .Append("Members discussed staffing, the timeline of the new building, and the risks named in the audit. ")
                .Append(System.Globalization.CultureInfo.InvariantCulture, $"They agreed that item {i} would be revisited next quarter.\n\n");
        }
        return text.ToString();
    }

    private sealed class NoCalls : ICompletionBackend
    {
        public Task<CompletionResult> CompleteAsync(CompletionCall call, CancellationToken cancellationToken) => throw new InvalidOperationException();
    }
}
