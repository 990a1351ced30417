namespace Parley.Bench.Conversations;

/// <summary>Which transcript stores the benchmark runs on.</summary>
[Flags]
internal enum BenchStores
{
    Redis = 1,
    Memory = 2,
    Both = Redis | Memory,
}

/// <param name="Turns">Turns each long conversation is grown to.</param>
/// <param name="Iterations">Timed BuildPromptAsync calls per budget on the activated long conversations.</param>
/// <param name="WriteIterations">Timed body writes per budget.</param>
/// <param name="Activations">Timed fresh activations (deactivate, first BuildPromptAsync) per long conversation.</param>
/// <param name="Conversations">Idle conversations (and as many empty grains of each probe kind) for the heap figures.</param>
/// <param name="IdleTurns">Turns each idle conversation gets before it sits idle.</param>
/// <param name="IdleTimeoutSeconds">Parley:Conversations:Context:WorkingSetIdleTimeout of the idle-memory silo.</param>
/// <param name="NextTurns">Idle conversations that get a next turn (round trips counted, latency timed).</param>
internal sealed record ConversationBenchmarkOptions(int Turns, int Iterations, int WriteIterations, int Activations, int Conversations, int IdleTurns,
    int IdleTimeoutSeconds, int NextTurns, BenchStores Stores)
{
    public const int DefaultTurns = 1000;
    public const int DefaultIterations = 20_000;
    public const int DefaultWriteIterations = 2_000;
    public const int DefaultActivations = 300;
    public const int DefaultConversations = 5_000;
    public const int DefaultIdleTurns = 20;
    public const int DefaultIdleTimeoutSeconds = 2;
    public const int DefaultNextTurns = 200;

    public static BenchStores ParseStores(string value) => value switch
    {
        "both" => BenchStores.Both,
        "redis" => BenchStores.Redis,
        "memory" => BenchStores.Memory,
        _ => throw new ArgumentException($"--store must be both, redis or memory (got '{value}')"),
    };

    public IEnumerable<string> Validate()
    {
        if (Turns < 20)
        {
            yield return "--turns must be at least 20";
        }
        if (Iterations < 1 || WriteIterations < 1 || Activations < 1 || NextTurns < 1)
        {
            yield return "--iterations, --write-iterations, --activations and --next-turns must be at least 1";
        }
        if (Conversations < 1 || IdleTurns < 1)
        {
            yield return "--conversations and --idle-turns must be at least 1";
        }
        if (IdleTimeoutSeconds < 1)
        {
            yield return "--idle-timeout-seconds must be at least 1 (the options validator's floor)";
        }
    }
}
