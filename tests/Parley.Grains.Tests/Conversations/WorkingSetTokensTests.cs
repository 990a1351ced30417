using Parley.Grains.Conversations;
using Parley.Grains.Conversations.Transcript;

namespace Parley.Grains.Tests.Conversations;

/// <summary>The working set's running token total (what the high-water check after every turn reads) always equals a
/// recount of the entries it covers, whatever happened to them. Counts are preset, so no tokenizer runs.</summary>
public sealed class WorkingSetTokensTests
{
    private const string Encoding = "o200k_base";
    private long _seq;

    [Fact]
    public void Appends_extend_the_total_and_every_other_change_starts_it_over()
    {
        var working = new WorkingSet(0, 1, []);
        Assert.Equal(0, working.TokensFrom(0, Encoding));

        working.Append([Entry(10), Entry(20)]);
        Assert.Equal(30, working.TokensFrom(0, Encoding));
        Assert.Equal(20, working.TokensFrom(1, Encoding));
        working.Append([Entry(5)]);
        Assert.Equal(25, working.TokensFrom(1, Encoding));
        Assert.Equal(35, working.TokensFrom(0, Encoding));

        working.TrimBefore(1, budget: 1000);
        Assert.Equal(Recount(working, 0), working.TokensFrom(0, Encoding));
        Assert.Equal(25, working.TokensFrom(0, Encoding));

        working.Prepend([Entry(7, seq: 0)], fromSeq: 0);
        Assert.Equal(32, working.TokensFrom(0, Encoding));

        Assert.True(working.Remove(working.Entries[1].Id));
        Assert.Equal(Recount(working, 0), working.TokensFrom(0, Encoding));

        working.TrimThrough(working.Entries[0].Seq);
        working.Append([Entry(100)]);
        Assert.Equal(Recount(working, 0), working.TokensFrom(0, Encoding));
        Assert.Equal(105, working.TokensFrom(0, Encoding));
    }

    private static int Recount(WorkingSet working, int from) => working.Entries.Skip(from).Sum(e => e.Tokens.O200k);

    private TranscriptEntry Entry(int tokens, long? seq = null) => new()
    {
        Id = "msg_" + Guid.NewGuid().ToString("N"),
        Role = "user",
        Message = "{\"role\":\"user\",\"content\":\"x\"}"u8.ToArray(),
        Seq = seq ?? ++_seq,
        Tokens = new TokenCounts { O200k = tokens },
    };
}
