using System.Net;
using System.Text.Json;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Batches;

public sealed class BatchFileFixture : SiloFixture
{
    public const int MaxFileBytes = 4096;

    protected override void Configure(IDictionary<string, string?> settings)
        => settings["Parley:Batch:MaxFileBytes"] = MaxFileBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary><c>/v1/files</c>: OpenAI's File object, ownership, the batch file checks line by line, the size limit.</summary>
public sealed class BatchFileApiTests(BatchFileFixture fixture) : IClassFixture<BatchFileFixture>
{
    [Fact]
    public async Task An_upload_is_an_OpenAI_file_object_its_owner_lists_retrieves_downloads_and_deletes_and_no_one_else_sees()
    {
        var client = fixture.Client;
        var content = BatchFiles.Input(3);
        using var upload = await BatchFiles.UploadAsync(client, content, filename: "requests.jsonl");
        var file = await BatchFiles.SuccessAsync(upload);

        var id = file.GetProperty("id").GetString()!;
        Assert.Matches("^file-[0-9a-f]{32}$", id);
        Assert.Equal(
            ["id", "object", "bytes", "created_at", "expires_at", "filename", "purpose", "status", "status_details"],
            file.EnumerateObject().Select(p => p.Name));
        Assert.Equal("file", file.GetProperty("object").GetString());
        Assert.Equal(content.Length, file.GetProperty("bytes").GetInt64());
        Assert.Equal("requests.jsonl", file.GetProperty("filename").GetString());
        Assert.Equal("batch", file.GetProperty("purpose").GetString());
        Assert.Equal("processed", file.GetProperty("status").GetString());
        Assert.InRange(file.GetProperty("created_at").GetInt64(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);

        Assert.Equal(file.ToString(), (await BatchFiles.GetAsync(client, $"v1/files/{id}")).ToString());
        Assert.Equal(content, await client.GetStringAsync($"v1/files/{id}/content"));
        var list = await BatchFiles.GetAsync(client, "v1/files?purpose=batch");
        Assert.Equal("list", list.GetProperty("object").GetString());
        Assert.Contains(id, list.GetProperty("data").EnumerateArray().Select(f => f.GetProperty("id").GetString()));

        // Another user: the file does not exist.
        var (_, otherKey) = await fixture.Harness.CreateUserAsync("file-stranger");
        var other = fixture.Harness.CreateClient(otherKey);
        foreach (var path in new[] { $"v1/files/{id}", $"v1/files/{id}/content" })
        {
            using var response = await other.GetAsync(path);
            await response.AssertErrorAsync(HttpStatusCode.NotFound, "file_not_found");
        }
        using (var response = await other.DeleteAsync($"v1/files/{id}"))
        {
            await response.AssertErrorAsync(HttpStatusCode.NotFound, "file_not_found");
        }
        Assert.Empty((await BatchFiles.GetAsync(other, "v1/files")).GetProperty("data").EnumerateArray());

        using (var deleted = await client.DeleteAsync($"v1/files/{id}"))
        {
            Assert.Equal($$"""{"id":"{{id}}","object":"file","deleted":true}""", await deleted.Content.ReadAsStringAsync());
        }
        using (var gone = await client.GetAsync($"v1/files/{id}"))
        {
            await gone.AssertErrorAsync(HttpStatusCode.NotFound, "file_not_found");
        }
    }

    [Fact]
    public async Task Files_are_listed_newest_first_in_pages_after_a_cursor()
    {
        var (_, key) = await fixture.Harness.CreateUserAsync("file-lister");
        var client = fixture.Harness.CreateClient(key);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await BatchFiles.UploadIdAsync(client, BatchFiles.Input(1)));
        }

        var first = await BatchFiles.GetAsync(client, "v1/files?limit=2");
        Assert.Equal([ids[2], ids[1]], first.GetProperty("data").EnumerateArray().Select(f => f.GetProperty("id").GetString()!));
        Assert.True(first.GetProperty("has_more").GetBoolean());
        Assert.Equal(ids[1], first.GetProperty("last_id").GetString());
        var second = await BatchFiles.GetAsync(client, $"v1/files?limit=2&after={ids[1]}");
        Assert.Equal([ids[0]], second.GetProperty("data").EnumerateArray().Select(f => f.GetProperty("id").GetString()!));
        Assert.False(second.GetProperty("has_more").GetBoolean());
        var ascending = await BatchFiles.GetAsync(client, "v1/files?order=asc");
        Assert.Equal(ids, ascending.GetProperty("data").EnumerateArray().Select(f => f.GetProperty("id").GetString()!));
    }

    public static TheoryData<string, string> InvalidFiles => new()
    {
        { BatchFiles.Line("a", "x") + "\n" + BatchFiles.Line("a", "y"), "Line 2: custom_id 'a' is used by an earlier line" },
        { BatchFiles.Line("a", "x") + "\n{not json", "Line 2: This line is not valid JSON." },
        { """{"custom_id":"a","method":"GET","url":"/v1/chat/completions","body":{"model":"m"}}""", "Line 1: method must be \"POST\"." },
        { """{"custom_id":"a","method":"POST","url":"/v1/embeddings","body":{"model":"m"}}""", "Line 1: url must be \"/v1/chat/completions\"." },
        { """{"custom_id":"a","method":"POST","url":"/v1/chat/completions"}""", "Line 1: body must be a JSON object" },
        { """{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","stream":true}}""", "Line 1: A batch request cannot be streamed" },
        { """{"method":"POST","url":"/v1/chat/completions","body":{"model":"m"}}""", "Line 1: custom_id is required" },
        { """{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"messages":[]}}""", "Line 1: body.model is required." },
        { "\n\n", "The batch input file holds no requests." },
    };

    [Theory]
    [MemberData(nameof(InvalidFiles))]
    public async Task An_invalid_batch_file_is_refused_at_upload_naming_the_line_and_the_reason(string content, string reason)
    {
        using var response = await BatchFiles.UploadAsync(fixture.Client, content);

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_batch_file", "file");
        Assert.StartsWith("Invalid batch file: " + reason, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_upload_needs_purpose_batch_and_a_file_within_the_size_limit()
    {
        using (var noPurpose = await BatchFiles.UploadAsync(fixture.Client, BatchFiles.Input(1), purpose: null))
        {
            await noPurpose.AssertErrorAsync(HttpStatusCode.BadRequest, "missing_required_parameter", "purpose");
        }
        using (var fineTune = await BatchFiles.UploadAsync(fixture.Client, BatchFiles.Input(1), purpose: "fine-tune"))
        {
            await fineTune.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_value", "purpose");
        }
        using (var json = await fixture.Client.PostAsync("v1/files", Http.Json("{}")))
        {
            await json.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_value", "file");
        }
        var large = BatchFiles.Input(60);
        Assert.True(large.Length > BatchFileFixture.MaxFileBytes);
        using (var tooLarge = await BatchFiles.UploadAsync(fixture.Client, large))
        {
            var error = await tooLarge.AssertErrorAsync(HttpStatusCode.RequestEntityTooLarge, "file_too_large", "file");
            Assert.Contains(BatchFileFixture.MaxFileBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
        using (var malformed = await fixture.Client.GetAsync("v1/files/not-a-file-id"))
        {
            await malformed.AssertErrorAsync(HttpStatusCode.NotFound, "file_not_found");
        }
    }
}
