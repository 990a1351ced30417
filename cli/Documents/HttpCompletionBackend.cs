using System.Text.Json.Nodes;
using Parley.Cli.Api;
using Parley.Documents.Pacing;
using Parley.Documents.Pipeline;

namespace Parley.Cli.Documents;

/// <summary>The pipeline's calls as chat completions to the Parley server; a failed call is retried by status class,
/// each retry waiting for a pacing slot like a first attempt.</summary>
public sealed class HttpCompletionBackend(ParleyClient client, string model, RequestPacer pacer, RetryPolicy retry) : ICompletionBackend
{
    public async Task<CompletionResult> CompleteAsync(CompletionCall call, CancellationToken cancellationToken)
    {
        var messages = new JsonArray();
        foreach (var message in call.Messages)
        {
            messages.Add(new JsonObject { ["role"] = message.Role, ["content"] = message.Content });
        }
        var body = new JsonObject { ["model"] = model, ["messages"] = messages, ["max_tokens"] = call.MaxOutputTokens };
        var (completion, response) = await retry.RunAsync(
            async (attempt, token) =>
            {
                // The pipeline paced the first attempt; retries wait for a slot of their own.
                if (attempt > 1)
                {
                    await pacer.WaitAsync(token).ConfigureAwait(false);
                }
                return await ChatCompletions.CompleteAsync(client, (JsonObject)body.DeepClone(), null, token).ConfigureAwait(false);
            },
            null,
            null,
            cancellationToken).ConfigureAwait(false);
        response.Dispose();
        var answer = ChatCompletions.FromCompletion(completion, null);
        return new CompletionResult(answer.Text, (int)(answer.Usage?.PromptTokens ?? 0), (int)(answer.Usage?.CompletionTokens ?? 0));
    }
}
