using Parley.Grains.Conversations.Transcript;

namespace Parley.Grains.Tests.Conversations;

public sealed class MemoryTranscriptTailTests : TranscriptTailContractTests
{
    protected override Task<ITranscriptStore> CreateStoreAsync() => Task.FromResult<ITranscriptStore>(new MemoryTranscriptStore());
}
