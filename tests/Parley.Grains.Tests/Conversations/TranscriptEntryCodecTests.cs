using System.Runtime.InteropServices;
using System.Text;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Conversations.Transcript;
using Xunit;

namespace Parley.Grains.Tests.Conversations;

public sealed class TranscriptEntryCodecTests
{
    private static readonly byte[] Reply = Encoding.UTF8.GetBytes("""{"role":"assistant","content":"Oslo is 6 °C \u2014 bring a coat"}""");

    [Fact]
    public void An_entry_round_trips_with_its_header_and_its_message_byte_for_byte()
    {
        var usage = """{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}"""u8.ToArray();
        var stored = TranscriptEntryCodec.Encode(new TranscriptEntry
        {
            Id = "msg_7",
            Role = "assistant",
            Message = Reply,
            Content = [new ConversationContentPart("output_text", "Oslo is 6 °C")],
            Tokens = new TokenCounts { O200k = 21, Cl100k = 23 },
            Turn = new TurnMark("idem_1", 0xFEEDFACECAFEBEEF, 2, new TurnReply("chatcmpl-9", 1_765_000_000, "gpt-4o", "stop", "fp_3", usage)),
        });

        var entry = TranscriptEntryCodec.Decode(stored, 42)!;

        Assert.Equal(42, entry.Seq);
        Assert.Equal("msg_7", entry.Id);
        Assert.Equal("assistant", entry.Role);
        Assert.Equal(Reply, entry.Message.ToArray());
        Assert.Equal([new ConversationContentPart("output_text", "Oslo is 6 °C")], entry.Content);
        Assert.Equal((21, 23), (entry.Tokens.O200k, entry.Tokens.Cl100k));
        var turn = entry.Turn!;
        Assert.Equal(("idem_1", 0xFEEDFACECAFEBEEF, 2), (turn.Key, turn.MessagesHash, turn.Entries));
        Assert.Equal(("chatcmpl-9", 1_765_000_000L, "gpt-4o", "stop", "fp_3"),
            (turn.Reply.ResponseId, turn.Reply.Created, turn.Reply.Model, turn.Reply.FinishReason, turn.Reply.SystemFingerprint));
        Assert.Equal(usage, turn.Reply.Usage);
    }

    [Fact]
    public void The_message_is_a_slice_of_the_stored_value_not_a_copy()
    {
        var stored = TranscriptEntryCodec.Encode(new TranscriptEntry { Id = "msg_1", Role = "assistant", Message = Reply });

        var entry = TranscriptEntryCodec.Decode(stored, 1)!;

        Assert.True(MemoryMarshal.TryGetArray(entry.Message, out var segment));
        Assert.Same(stored, segment.Array);
        Assert.Equal(stored.Length - Reply.Length, segment.Offset);
        Assert.Equal(TranscriptEntryCodec.Separator, stored[segment.Offset - 1]);
        // The message a prompt is built from shares the same bytes.
        Assert.True(MemoryMarshal.TryGetArray(entry.ToChatMessage().Utf8Json, out var shared));
        Assert.Same(stored, shared.Array);
        Assert.Equal(segment.Offset, shared.Offset);
    }

    [Theory]
    [InlineData("user")]
    [InlineData("assistant")]
    [InlineData("system")]
    [InlineData("tool")]
    public void The_chat_roles_decode_to_one_shared_string_each(string role)
    {
        var first = TranscriptEntryCodec.Decode(TranscriptEntryCodec.Encode(new TranscriptEntry { Id = "a", Role = role, Message = Reply }), 1)!;
        var second = TranscriptEntryCodec.Decode(TranscriptEntryCodec.Encode(new TranscriptEntry { Id = "b", Role = role, Message = Reply }), 2)!;

        Assert.Equal(role, first.Role);
        Assert.Same(first.Role, second.Role);
    }

    [Fact]
    public void Another_role_decodes_as_written()
    {
        var entry = TranscriptEntryCodec.Decode(TranscriptEntryCodec.Encode(new TranscriptEntry { Id = "a", Role = "developer", Message = Reply }), 1)!;

        Assert.Equal("developer", entry.Role);
    }

    [Fact]
    public void A_removed_entry_is_null_and_a_value_without_its_separator_is_refused()
    {
        Assert.Null(TranscriptEntryCodec.Decode(ReadOnlyMemory<byte>.Empty, 3));
        var error = Assert.Throws<FormatException>(() => TranscriptEntryCodec.Decode("""{"id":"a","role":"user"}"""u8.ToArray(), 4));
        Assert.Equal("Transcript entry #4 has no header separator.", error.Message);
    }

    [Fact]
    public void A_header_without_its_id_or_role_is_refused()
    {
        var noId = Assert.Throws<FormatException>(() => TranscriptEntryCodec.Decode(Stored("""{"role":"user"}"""), 5));
        var noRole = Assert.Throws<FormatException>(() => TranscriptEntryCodec.Decode(Stored("""{"id":"a"}"""), 6));

        Assert.Equal("Transcript entry #5 lacks its id or role.", noId.Message);
        Assert.Equal("Transcript entry #6 lacks its id or role.", noRole.Message);
    }

    [Fact]
    public void The_turn_key_is_read_alone_and_the_turn_whole_when_asked_for()
    {
        var mark = new TurnMark("idem_2", 7, 3, new TurnReply("chatcmpl-2", 1_765_000_001, "gpt-4o-mini", "length", null, null));
        var decoded = TranscriptEntryCodec.Decode(TranscriptEntryCodec.Encode(new TranscriptEntry { Id = "msg_2", Role = "assistant", Message = Reply, Turn = mark }), 9)!;
        var plain = TranscriptEntryCodec.Decode(TranscriptEntryCodec.Encode(new TranscriptEntry { Id = "msg_3", Role = "user", Message = Reply }), 10)!;
        var made = new TranscriptEntry { Id = "msg_4", Role = "assistant", Message = Reply, Turn = mark };

        Assert.Equal("idem_2", decoded.TurnKey);
        Assert.Equal(mark, decoded.Turn);
        Assert.Equal("idem_2", decoded.TurnKey);
        Assert.Equal("msg_2", decoded.Id);
        Assert.Null(plain.TurnKey);
        Assert.Null(plain.Turn);
        Assert.Equal("msg_3", plain.Id);
        Assert.Equal("idem_2", made.TurnKey);
        Assert.Same(mark, made.Turn);
        Assert.Null(new TranscriptEntry { Id = "msg_5", Role = "user", Message = Reply }.TurnKey);
    }

    /// <summary>A stored value with <paramref name="header"/> as its header.</summary>
    private static byte[] Stored(string header) => [.. Encoding.UTF8.GetBytes(header), TranscriptEntryCodec.Separator, .. Reply];
}
