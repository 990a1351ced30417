using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Parley.Grains.Encryption;
using Parley.Silo.Tests.Batches;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;
using StackExchange.Redis;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Parley.Silo.Tests.Encryption;

/// <summary>Encryption at rest on a real silo and a real redis-server: what Redis holds after conversations, cached
/// answers, a batch and upstream calls; rotation from one key to another with no downtime; a key taken away and a value
/// altered in Redis.</summary>
public sealed class EncryptionAtRestTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private const string Canary = "quetzal-saffron-ledger-5813";

    [Fact]
    public async Task Redis_holds_no_message_text_cached_answer_batch_line_or_upstream_key_in_clear()
    {
        await redis.FlushAsync();
        await using var silo = await StartAsync(TestEncryptionKeys.UseFirst);
        var (_, key) = await silo.CreateUserAsync("canary");
        var client = silo.CreateClient(key);

        // A conversation: pinned system prompt and metadata (grain state), turns plain and streamed (transcript).
        var conversation = await CreateConversationAsync(client, "sys " + Canary);
        await TurnAsync(client, conversation, "turn one " + Canary, stream: false);
        await TurnAsync(client, conversation, "turn two " + Canary, stream: true);
        var items = await client.GetStringAsync($"v1/conversations/{conversation}/items?order=asc");
        Assert.Contains("turn one " + Canary, items, StringComparison.Ordinal);
        Assert.Contains("Echo: turn two " + Canary, items, StringComparison.Ordinal);

        // A cached answer: stored by the first call, served by the second.
        var cacheable = $$"""{"model":"{{SiloHarness.Model}}","temperature":0,"messages":[{"role":"user","content":"cache {{Canary}}"}]}""";
        using (var miss = await client.PostAsync("v1/chat/completions", Http.Json(cacheable)))
        {
            Assert.Equal("miss", miss.Headers.GetValues("x-parley-cache").Single());
        }
        using (var hit = await client.PostAsync("v1/chat/completions", Http.Json(cacheable)))
        {
            Assert.Equal("hit", hit.Headers.GetValues("x-parley-cache").Single());
            Assert.Contains("Echo: cache " + Canary, await hit.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // A batch: its input file, its results in the progress log, its output file.
        var fileId = await BatchFiles.UploadIdAsync(client, BatchFiles.Input(3, "batch " + Canary));
        var batchId = (await BatchFiles.CreateAsync(client, fileId)).GetProperty("id").GetString()!;
        var batch = await WaitForBatchAsync(client, batchId);
        var output = await client.GetStringAsync($"v1/files/{batch.GetProperty("output_file_id").GetString()}/content");
        Assert.Contains("Echo: batch " + Canary + " 2", output, StringComparison.Ordinal);
        // Every call above reached the upstream with its key.
        Assert.All(silo.SimState.RecentRequests, r => Assert.Equal(Parley.Sim.Observability.KeyHints.For(SiloHarness.UpstreamKey), r.KeyHint));

        var contents = await RedisContents.ReadAsync(redis.ConnectionString);

        Assert.Empty(contents.KeysContaining(Canary));
        Assert.Empty(contents.KeysContaining(SiloHarness.UpstreamKey));
        Assert.Empty(contents.KeysContaining(SiloHarness.UpstreamKey["sk-".Length..]));
        // The scan read the places the content went, and found it there sealed with the active key.
        AssertSealed(contents, $"conversation/{conversation}}}:log", RedisType.List, entries: 4);
        AssertSealed(contents, $"conversation/{conversation}}}:state", RedisType.Hash, entries: 1);
        AssertSealed(contents, $"file/{fileId}}}:content", RedisType.List, entries: 1);
        AssertSealed(contents, $"batch/{batchId}}}:log", RedisType.List, entries: 3);
        AssertSealed(contents, ":cache:", RedisType.String, entries: 1);
    }

    [Fact]
    public async Task A_new_active_key_writes_while_the_old_one_still_reads_and_a_removed_key_is_a_clear_error()
    {
        await redis.FlushAsync();
        string conversation, key;
        await using (var first = await StartAsync(TestEncryptionKeys.UseFirst))
        {
            (_, key) = await first.CreateUserAsync("rotation");
            var client = first.CreateClient(key);
            conversation = await CreateConversationAsync(client, "sys before rotation");
            await TurnAsync(client, conversation, "written with key one", stream: false);
        }
        Assert.Equal([TestEncryptionKeys.FirstId, TestEncryptionKeys.FirstId], await KeyIdsAsync($"conversation/{conversation}}}:log"));

        // Step 2 of the rotation: every silo has both keys, the second active.
        await using (var second = await StartAsync(BothKeys))
        {
            var client = second.CreateClient(key);
            var before = await client.GetStringAsync($"v1/conversations/{conversation}/items?order=asc");
            Assert.Contains("written with key one", before, StringComparison.Ordinal);
            await TurnAsync(client, conversation, "written with key two", stream: false);
            var after = await client.GetStringAsync($"v1/conversations/{conversation}/items?order=asc");
            Assert.Contains("written with key one", after, StringComparison.Ordinal);
            Assert.Contains("written with key two", after, StringComparison.Ordinal);
            using var update = await client.PostAsync($"v1/conversations/{conversation}", Http.Json("""{"metadata":{"note":"updated"}}"""));
            await BatchFiles.SuccessAsync(update);
        }
        Assert.Equal([TestEncryptionKeys.FirstId, TestEncryptionKeys.FirstId, TestEncryptionKeys.SecondId, TestEncryptionKeys.SecondId],
            await KeyIdsAsync($"conversation/{conversation}}}:log"));
        // The grain state was written again when the conversation changed, so it moved to the new key by itself.
        Assert.Equal([TestEncryptionKeys.SecondId], await KeyIdsAsync($"conversation/{conversation}}}:state"));

        // The first key removed while entries it sealed remain: those reads fail with a named error, the silo serves on.
        var logs = new CapturedLogs();
        await using (var third = await StartAsync(s =>
        {
            s[$"Parley:Encryption:Keys:{TestEncryptionKeys.SecondId}"] = TestEncryptionKeys.Second;
            s["Parley:Encryption:ActiveKeyId"] = TestEncryptionKeys.SecondId;
        }, logs))
        {
            var client = third.CreateClient(key);
            using var unreadable = await client.GetAsync($"v1/conversations/{conversation}/items?order=asc");
            Assert.Equal(HttpStatusCode.InternalServerError, unreadable.StatusCode);
            var error = (await unreadable.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
            Assert.Equal("stored_data_unreadable", error.GetProperty("code").GetString());
            Assert.Equal("server_error", error.GetProperty("type").GetString());
            Assert.Contains(logs.Lines, m => m.Contains($"key id '{TestEncryptionKeys.FirstId}', which is not in Parley:Encryption:Keys", StringComparison.Ordinal));
            Assert.DoesNotContain(logs.Lines, m => m.Contains(TestEncryptionKeys.First, StringComparison.Ordinal) || m.Contains(TestEncryptionKeys.Second, StringComparison.Ordinal));
            using var models = await client.GetAsync("v1/models");
            Assert.Equal(HttpStatusCode.OK, models.StatusCode);
            // A new conversation works under the remaining key.
            var fresh = await CreateConversationAsync(client, "sys after");
            await TurnAsync(client, fresh, "still serving", stream: false);
        }
    }

    [Fact]
    public async Task A_flipped_byte_in_a_stored_entry_fails_authentication_with_a_clear_error()
    {
        await redis.FlushAsync();
        var logs = new CapturedLogs();
        await using var silo = await StartAsync(TestEncryptionKeys.UseFirst, logs);
        var (_, key) = await silo.CreateUserAsync("tamper");
        var client = silo.CreateClient(key);
        var victim = await CreateConversationAsync(client, "sys victim");
        await TurnAsync(client, victim, "to be altered", stream: false);
        var bystander = await CreateConversationAsync(client, "sys bystander");
        await TurnAsync(client, bystander, "left alone", stream: false);

        await using (var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString))
        {
            var db = connection.GetDatabase();
            var log = await FindKeyAsync($"conversation/{victim}}}:log");
            var stored = (byte[])(await db.ListGetByIndexAsync(log, 0))!;
            Assert.Equal(TestEncryptionKeys.FirstId, ContentCipher.KeyIdOf(stored));
            stored[^5] ^= 0x01;
            await db.ListSetByIndexAsync(log, 0, stored);
        }

        using var altered = await client.GetAsync($"v1/conversations/{victim}/items?order=asc");
        Assert.Equal(HttpStatusCode.InternalServerError, altered.StatusCode);
        var body = await altered.Content.ReadAsStringAsync();
        Assert.Equal("stored_data_unreadable", JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.DoesNotContain("to be altered", body, StringComparison.Ordinal);
        Assert.Contains(logs.Lines, m => m.Contains($"'transcript/{victim}' failed authentication with key '{TestEncryptionKeys.FirstId}'", StringComparison.Ordinal));
        Assert.Contains("left alone", await client.GetStringAsync($"v1/conversations/{bystander}/items"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_entry_copied_into_another_conversation_does_not_decrypt_there()
    {
        await redis.FlushAsync();
        await using var silo = await StartAsync(TestEncryptionKeys.UseFirst);
        var (_, key) = await silo.CreateUserAsync("mover");
        var client = silo.CreateClient(key);
        var source = await CreateConversationAsync(client, "sys source");
        await TurnAsync(client, source, "secret of the source", stream: false);
        var target = await CreateConversationAsync(client, "sys target");
        await TurnAsync(client, target, "target's own", stream: false);

        await using (var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString))
        {
            var db = connection.GetDatabase();
            var moved = await db.ListGetByIndexAsync(await FindKeyAsync($"conversation/{source}}}:log"), 0);
            await db.ListSetByIndexAsync(await FindKeyAsync($"conversation/{target}}}:log"), 0, moved);
        }

        using var response = await client.GetAsync($"v1/conversations/{target}/items?order=asc");
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("secret of the source", body, StringComparison.Ordinal);
        Assert.Equal("stored_data_unreadable", JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    private static void BothKeys(IDictionary<string, string?> settings)
    {
        settings[$"Parley:Encryption:Keys:{TestEncryptionKeys.FirstId}"] = TestEncryptionKeys.First;
        settings[$"Parley:Encryption:Keys:{TestEncryptionKeys.SecondId}"] = TestEncryptionKeys.Second;
        settings["Parley:Encryption:ActiveKeyId"] = TestEncryptionKeys.SecondId;
    }

    private Task<SiloHarness> StartAsync(Action<IDictionary<string, string?>> keys, CapturedLogs? logs = null)
        => SiloHarness.StartAsync(settings =>
        {
            settings["Parley:Redis:ConnectionString"] = redis.ConnectionString;
            settings["Parley:Batch:RequestsPerSecond"] = "200";
            foreach (var name in settings.Keys.Where(k => k.StartsWith("Parley:Encryption:", StringComparison.Ordinal)).ToList())
            {
                settings.Remove(name);
            }
            keys(settings);
        }, configureBuilder: logs is null ? null : builder => builder.Logging.AddProvider(logs));

    private static async Task<string> CreateConversationAsync(HttpClient client, string systemPrompt)
    {
        using var response = await client.PostAsync("v1/conversations", Http.Json(JsonSerializer.Serialize(new
        {
            model = SiloHarness.Model,
            system_prompt = systemPrompt,
            metadata = new Dictionary<string, string> { ["note"] = "meta " + systemPrompt },
        })));
        return (await BatchFiles.SuccessAsync(response)).GetProperty("id").GetString()!;
    }

    private static async Task TurnAsync(HttpClient client, string conversation, string text, bool stream)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = Http.Json(JsonSerializer.Serialize(new
            {
                model = SiloHarness.Model,
                conversation,
                stream,
                messages = new[] { new { role = "user", content = text } },
            })),
        };
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        Assert.Contains("Echo: " + text, stream ? string.Concat(SseContents(body)) : body, StringComparison.Ordinal);
    }

    /// <summary>The content deltas of an SSE answer, in order.</summary>
    private static IEnumerable<string> SseContents(string body)
    {
        foreach (var line in body.Split('\n'))
        {
            if (line.StartsWith("data: {", StringComparison.Ordinal)
                && JsonDocument.Parse(line["data: ".Length..]).RootElement.GetProperty("choices") is { ValueKind: JsonValueKind.Array } choices
                && choices.GetArrayLength() > 0 && choices[0].GetProperty("delta").TryGetProperty("content", out var content))
            {
                yield return content.GetString() ?? "";
            }
        }
    }

    private static async Task<JsonElement> WaitForBatchAsync(HttpClient client, string batchId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var batch = await BatchFiles.GetAsync(client, $"v1/batches/{batchId}");
            if (batch.GetProperty("status").GetString() == "completed")
            {
                return batch;
            }
            Assert.True(DateTime.UtcNow < deadline, $"the batch did not complete: {batch}");
            await Task.Delay(50);
        }
    }

    private async Task<RedisKey> FindKeyAsync(string suffix)
    {
        var contents = await RedisContents.ReadAsync(redis.ConnectionString);
        return Assert.Single(contents.Entries, e => e.Key.EndsWith(suffix, StringComparison.Ordinal)).Key;
    }

    /// <summary>The key id of every sealed value under the key ending in <paramref name="suffix"/> (a hash's "data" field,
    /// a list's entries, a string's value), in order.</summary>
    private async Task<List<string?>> KeyIdsAsync(string suffix)
    {
        var contents = await RedisContents.ReadAsync(redis.ConnectionString);
        var entry = Assert.Single(contents.Entries, e => e.Key.EndsWith(suffix, StringComparison.Ordinal));
        return [.. entry.Values.Skip(1).Where(v => ContentCipher.IsEnvelope(v)).Select(v => ContentCipher.KeyIdOf(v))];
    }

    private static void AssertSealed(RedisContents contents, string keyPart, RedisType type, int entries)
    {
        var entry = Assert.Single(contents.Entries, e => e.Key.Contains(keyPart, StringComparison.Ordinal) && e.Type == type);
        var sealedValues = entry.Values.Skip(1).Where(v => ContentCipher.IsEnvelope(v) || v.AsSpan().IndexOf([(byte)'|', ContentCipher.Format]) >= 0).ToList();
        Assert.True(sealedValues.Count >= entries, $"{entry.Key}: {sealedValues.Count} sealed values, expected at least {entries}.");
        Assert.All(sealedValues.Where(v => ContentCipher.IsEnvelope(v)), v => Assert.Equal(TestEncryptionKeys.FirstId, ContentCipher.KeyIdOf(v)));
    }
}
