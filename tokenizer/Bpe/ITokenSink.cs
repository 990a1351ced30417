namespace Parley.Tokenizer;

/// <summary>Receives tokens as the encoder produces them; implemented by structs so that the encoder is
/// specialised per sink and counting allocates nothing.</summary>
internal interface ITokenSink
{
    /// <summary>Takes one token; false stops the encoding (a full destination).</summary>
    bool Add(int token);
}

internal struct CountingSink : ITokenSink
{
    public int Count;

    public bool Add(int token)
    {
        Count++;
        return true;
    }
}

internal readonly struct CollectionSink(ICollection<int> destination) : ITokenSink
{
    public bool Add(int token)
    {
        destination.Add(token);
        return true;
    }
}

internal ref struct SpanSink(Span<int> destination) : ITokenSink
{
    private readonly Span<int> _destination = destination;

    public int Written { get; private set; }

    public bool Overflowed { get; private set; }

    public bool Add(int token)
    {
        if (Written == _destination.Length)
        {
            Overflowed = true;
            return false;
        }

        _destination[Written++] = token;
        return true;
    }
}
