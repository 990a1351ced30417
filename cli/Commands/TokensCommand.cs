using System.CommandLine;
using System.Globalization;
using Parley.Tokenizer;

namespace Parley.Cli.Commands;

/// <summary>
/// <c>parley tokens [--encoding NAME | --model NAME] [--ids]</c>: counts (or lists) the tokens of standard input.
/// </summary>
public static class TokensCommand
{
    public const string DefaultEncoding = TiktokenEncoding.O200kBaseName;
    public const int Success = 0;
    public const int UsageError = 2;

    private const int IdsPerWrite = 4096;

    public static Command Create(TextReader input, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);

        var encodingOption = new Option<string>("--encoding")
        {
            Description = $"Encoding to use: {TiktokenEncoding.O200kBaseName} (default) or {TiktokenEncoding.Cl100kBaseName}.",
        };
        var modelOption = new Option<string>("--model")
        {
            Description = "Model whose encoding to use, e.g. gpt-4o or gpt-4.",
        };
        var idsOption = new Option<bool>("--ids")
        {
            Description = "Print the token ids, space-separated, instead of their count.",
        };

        var command = new Command("tokens", "Reads UTF-8 text on standard input and prints its token count.")
        {
            encodingOption,
            modelOption,
            idsOption,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            parseResult.GetValue(encodingOption), parseResult.GetValue(modelOption), parseResult.GetValue(idsOption),
            input, output, error, cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(
        string? encodingName, string? model, bool ids,
        TextReader input, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!TryResolveEncoding(encodingName, model, out var encoding, out var problem))
        {
            await error.WriteLineAsync(problem.AsMemory(), cancellationToken).ConfigureAwait(false);
            return UsageError;
        }

        var text = await input.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        if (!ids)
        {
            await output.WriteLineAsync(encoding.CountTokens(text).ToString(CultureInfo.InvariantCulture).AsMemory(), cancellationToken)
                .ConfigureAwait(false);
            return Success;
        }

        await WriteIdsAsync(encoding.Encode(text), output, cancellationToken).ConfigureAwait(false);
        return Success;
    }

    private static bool TryResolveEncoding(
        string? encodingName, string? model, out TiktokenEncoding encoding, out string problem)
    {
        encoding = null!;
        problem = string.Empty;
        if (encodingName is not null && model is not null)
        {
            problem = "error: pass either --encoding or --model, not both.";
            return false;
        }

        if (model is not null)
        {
            if (ModelEncodings.ForModel(model) is not { } forModel)
            {
                problem = $"error: unknown model '{model}': its encoding is not known; pass --encoding "
                    + $"{TiktokenEncoding.O200kBaseName} or --encoding {TiktokenEncoding.Cl100kBaseName} instead.";
                return false;
            }

            encoding = forModel;
            return true;
        }

        if (!TiktokenEncoding.TryGet(encodingName ?? DefaultEncoding, out var named))
        {
            problem = $"error: unknown encoding '{encodingName}'; supported: "
                + $"{TiktokenEncoding.O200kBaseName}, {TiktokenEncoding.Cl100kBaseName}.";
            return false;
        }

        encoding = named;
        return true;
    }

    // Written in chunks so that a large input's ids do not become one giant string.
    private static async Task WriteIdsAsync(IReadOnlyList<int> tokens, TextWriter output, CancellationToken cancellationToken)
    {
        var builder = new System.Text.StringBuilder();
        for (var i = 0; i < tokens.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(' ');
            }

            builder.Append(tokens[i]);
            if ((i + 1) % IdsPerWrite == 0)
            {
                await output.WriteAsync(builder, cancellationToken).ConfigureAwait(false);
                builder.Clear();
            }
        }

        builder.AppendLine();
        await output.WriteAsync(builder, cancellationToken).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
