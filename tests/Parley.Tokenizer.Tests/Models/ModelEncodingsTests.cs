namespace Parley.Tokenizer.Tests.Models;

public sealed class ModelEncodingsTests
{
    [Theory]
    [InlineData("gpt-4o", "o200k_base")]
    [InlineData("gpt-4o-mini-2024-07-18", "o200k_base")]
    [InlineData("chatgpt-4o-latest", "o200k_base")]
    [InlineData("gpt-4.1", "o200k_base")]
    [InlineData("gpt-4.1-nano", "o200k_base")]
    [InlineData("gpt-4.5-preview", "o200k_base")]
    [InlineData("gpt-5", "o200k_base")]
    [InlineData("gpt-5-mini", "o200k_base")]
    [InlineData("GPT-5.1", "o200k_base")]
    [InlineData("o1", "o200k_base")]
    [InlineData("o1-preview", "o200k_base")]
    [InlineData("o3-mini", "o200k_base")]
    [InlineData("o4-mini", "o200k_base")]
    [InlineData("ft:gpt-4o-2024-08-06:acme::abc123", "o200k_base")]
    [InlineData("gpt-4", "cl100k_base")]
    [InlineData("gpt-4-turbo", "cl100k_base")]
    [InlineData("gpt-4-0613", "cl100k_base")]
    [InlineData("gpt-3.5-turbo", "cl100k_base")]
    [InlineData("gpt-35-turbo-16k", "cl100k_base")]
    [InlineData("ft:gpt-3.5-turbo:acme::xyz", "cl100k_base")]
    [InlineData("text-embedding-3-small", "cl100k_base")]
    [InlineData("text-embedding-ada-002", "cl100k_base")]
    public void Known_models_map_to_their_encoding(string model, string encoding)
    {
        Assert.Equal(encoding, ModelEncodings.GetEncodingName(model));
        Assert.Same(TiktokenEncoding.Get(encoding), ModelEncodings.ForModel(model));
    }

    [Theory]
    [InlineData("claude-3-5-sonnet")]
    [InlineData("deepseek-chat")]
    [InlineData("qwen-max")]
    [InlineData("llama3")]
    [InlineData("gpt-oss-120b")]
    [InlineData("")]
    [InlineData(null)]
    public void Unknown_models_have_no_encoding(string? model)
    {
        Assert.Null(ModelEncodings.GetEncodingName(model));
        Assert.Null(ModelEncodings.ForModel(model));
    }
}
