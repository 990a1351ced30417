namespace Parley.Cli.Tests.Commands;

/// <summary>
/// Runs <c>parley tokens</c> in-process over redirected streams. Expected ids are tiktoken's, from the tokenizer's
/// reference vectors (tests/Parley.Tokenizer.Tests/Data/vectors.jsonl).
/// </summary>
public sealed class TokensCommandTests
{
    private const string Chinese = "你好，世界！今天天气很好。";

    [Theory]
    [InlineData("hello world", new string[0], "2")] // default encoding is o200k_base
    [InlineData("hello world", new[] { "--ids" }, "24912 2375")]
    [InlineData("Hello, World!", new[] { "--encoding", "cl100k_base", "--ids" }, "9906 11 4435 0")]
    [InlineData("Hello, World!", new[] { "--encoding", "o200k_base", "--ids" }, "13225 11 5922 0")]
    [InlineData(Chinese, new[] { "--model", "gpt-4" }, "16")]
    [InlineData(Chinese, new[] { "--model", "gpt-4o" }, "9")]
    [InlineData(Chinese, new[] { "--model", "gpt-4o", "--ids" }, "177519 979 28428 3393 10941 1487 25896 148483 788")]
    [InlineData("line1\nline2\r\nline3\n\n\n", new[] { "--encoding", "cl100k_base" }, "9")]
    [InlineData("", new string[0], "0")]
    [InlineData("", new[] { "--ids" }, "")]
    public async Task Prints_the_count_or_the_ids_of_all_of_standard_input(string input, string[] options, string expected)
    {
        var result = await RunAsync(input, ["tokens", .. options]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(expected + "\n", result.Output);
        Assert.Equal("", result.Error);
    }

    [Fact]
    public async Task Reads_all_of_standard_input_not_just_the_first_line()
    {
        // 10,000 lines of "hello\n": "hello" and "\n" are one o200k_base token each.
        var input = string.Concat(Enumerable.Repeat("hello\n", 10_000));

        var result = await RunAsync(input, ["tokens"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("20000\n", result.Output);
    }

    [Theory]
    [InlineData(new[] { "--encoding", "p50k_base" }, "unknown encoding 'p50k_base'")]
    [InlineData(new[] { "--model", "claude-3-opus" }, "unknown model 'claude-3-opus'")]
    [InlineData(new[] { "--encoding", "o200k_base", "--model", "gpt-4o" }, "either --encoding or --model, not both")]
    public async Task Bad_options_fail_with_exit_code_2_and_a_message_on_stderr(string[] options, string message)
    {
        var result = await RunAsync("hello world", ["tokens", .. options]);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Output);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_model_message_says_to_pass_an_encoding()
    {
        var result = await RunAsync("hello", ["tokens", "--model", "llama-3"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("pass --encoding", result.Error, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(string input, string[] args)
    {
        using var stdin = new StringReader(input);
        using var stdout = new StringWriter { NewLine = "\n" };
        using var stderr = new StringWriter { NewLine = "\n" };

        var exitCode = await Program.BuildRootCommand(stdin, stdout, stderr).Parse(args).InvokeAsync();

        return (exitCode, stdout.ToString(), stderr.ToString());
    }
}
