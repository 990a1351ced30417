namespace Parley.Silo.Providers.Anthropic;

/// <summary>Which of a streamed message's content blocks are tool calls. Anthropic numbers every block (text,
/// thinking, tool use) in one sequence; OpenAI numbers tool calls apart, from 0, so each tool block gets the next
/// ordinal. A message has a handful of tool calls at most, so a list searched from the end is enough.</summary>
internal sealed class ToolCallOrdinals
{
    private readonly List<(int Block, bool HasArguments)> _calls = [];

    /// <summary>Registers the tool block at <paramref name="blockIndex"/> and returns its OpenAI index.</summary>
    public int Add(int blockIndex)
    {
        _calls.Add((blockIndex, false));
        return _calls.Count - 1;
    }

    /// <summary>Whether the block is a tool call; if so notes that its arguments have begun.</summary>
    public bool TryMarkArguments(int blockIndex, out int ordinal)
    {
        ordinal = Find(blockIndex);
        if (ordinal < 0)
        {
            return false;
        }
        _calls[ordinal] = (blockIndex, true);
        return true;
    }

    /// <summary>Whether the block is a tool call that ended without any argument fragment.</summary>
    public bool TryCloseWithoutArguments(int blockIndex, out int ordinal)
    {
        ordinal = Find(blockIndex);
        if (ordinal < 0 || _calls[ordinal].HasArguments)
        {
            return false;
        }
        // Closed: a repeated stop must not add a second "{}".
        _calls[ordinal] = (blockIndex, true);
        return true;
    }

    private int Find(int blockIndex)
    {
        for (var i = _calls.Count - 1; i >= 0; i--)
        {
            if (_calls[i].Block == blockIndex)
            {
                return i;
            }
        }
        return -1;
    }
}
