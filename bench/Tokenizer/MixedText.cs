using System.Text;

namespace Parley.Bench.Tokenizer;

/// <summary>
/// The benchmark's input: English prose, natural Chinese text and real C# source (the repository's own grains/),
/// interleaved paragraph by paragraph until the text reaches the requested UTF-8 size, so that the tokenizer sees
/// the mixture a chat gateway sees rather than one script at a time.
/// </summary>
internal static class MixedText
{
    private static readonly string[] s_english =
    [
        """
        The conversation cluster keeps every dialogue on the server, so that a chat front end only sends the newest
        turn. When the context grows beyond the model's window, the oldest turns are folded into a summary written by
        the model itself, and the user never notices that anything was compressed. Quotas are enforced across the
        whole cluster: a user who opens ten browser tabs still spends from one budget, to the token.
        """,
        """
        On Tuesday morning the operators noticed that one upstream key was answering slowly. Nobody had to wake up:
        the pacing grain had already lowered its rate, moved half of the traffic to the other keys, and written a
        short note in the audit trail explaining why. By noon the provider had recovered, and the key was back in
        rotation at its usual limit of 3,500 requests and 90,000 tokens per minute.
        """,
        """
        Measuring a tokenizer honestly means feeding it what it will meet in production: long English paragraphs,
        dialogue in other languages, snippets of source code pasted into a question, numbers such as 3.14159 or
        1,234,567, URLs like https://example.com/docs?page=2, and the occasional emoji or unusual punctuation mark.
        """,
    ];

    private static readonly string[] s_chinese =
    [
        """
        今天早上，我们在会议室里讨论了新系统的设计方案。大家都认为，对话的上下文应该保存在服务器上，这样客户端每次只需要发送最新的一条消息。
        如果上下文太长，系统会自动把较早的对话压缩成摘要，用户几乎感觉不到任何变化。
        """,
        """
        我的家乡在一个安静的小城，城外有一条清澈的河流。春天的时候，河边开满了桃花，许多人周末会带着孩子去散步、放风筝。
        虽然这些年城市变化很大，但每次回去，我都能在那条河边找到小时候的记忆。
        """,
        """
        学习一门新的编程语言，最好的办法是动手写一个真实的小项目。读书和看视频当然有帮助，但只有在解决具体问题的时候，
        你才会真正理解类型、内存和并发这些概念。遇到错误不要着急，仔细阅读错误信息，往往答案就在里面。
        """,
    ];

    public static string Build(string repositoryRoot, int targetBytes)
    {
        var code = Directory.GetFiles(Path.Combine(repositoryRoot, "grains"), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(File.ReadAllText)
            .ToArray();
        if (code.Length == 0)
        {
            throw new InvalidOperationException("No C# files found under " + Path.Combine(repositoryRoot, "grains"));
        }

        var builder = new StringBuilder(targetBytes);
        var bytes = 0;
        for (var i = 0; bytes < targetBytes; i++)
        {
            bytes += Append(builder, s_english[i % s_english.Length]);
            bytes += Append(builder, s_chinese[i % s_chinese.Length]);
            bytes += Append(builder, code[i % code.Length]);
        }

        return builder.ToString();
    }

    private static int Append(StringBuilder builder, string paragraph)
    {
        builder.Append(paragraph).Append('\n');
        return Encoding.UTF8.GetByteCount(paragraph) + 1;
    }
}
