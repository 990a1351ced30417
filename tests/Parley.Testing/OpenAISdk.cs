using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using OpenAI;
using OpenAI.Chat;
using Xunit;

namespace Parley.Testing;

/// <summary>The official OpenAI .NET SDK as a client of Parley (a silo or the front end): changed in nothing but its
/// endpoint and, where a test needs them, request headers.</summary>
public static class OpenAISdk
{
    public const string ConversationHeader = "X-Parley-Conversation";

    /// <param name="endpoint">The base of the OpenAI-compatible API, ending in <c>/v1</c>.</param>
    /// <param name="headers">Headers every request carries, e.g. (<see cref="ConversationHeader"/>, id) to continue a
    /// stored conversation; an unmodified SDK adds them through a pipeline policy, without touching the body.</param>
    public static ChatClient ChatClient(Uri endpoint, string model, string key, params (string Name, string Value)[] headers)
    {
        var options = new OpenAIClientOptions { Endpoint = endpoint };
        foreach (var (name, value) in headers)
        {
            options.AddPolicy(new HeaderPolicy(name, value), PipelinePosition.PerCall);
        }
        return new ChatClient(model, new ApiKeyCredential(key), options);
    }

    /// <summary>Streams the answer to one user message: how many updates came, and the text they add up to.</summary>
    public static async Task<(int Updates, string Text)> StreamAsync(ChatClient client, string message)
    {
        var updates = 0;
        var text = new StringBuilder();
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage(message)]))
        {
            updates++;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
        }
        return (updates, text.ToString());
    }

    /// <summary>What a refused one-message completion surfaces as; fails the test if it is not refused.</summary>
    public static Task<ClientResultException> RefusalAsync(ChatClient client)
        => Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("Hi")]));

    private sealed class HeaderPolicy(string name, string value) : PipelinePolicy
    {
        public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Set(name, value);
            ProcessNext(message, pipeline, currentIndex);
        }

        public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Set(name, value);
            return ProcessNextAsync(message, pipeline, currentIndex);
        }
    }
}
