namespace Parley.Sim.Api;

/// <summary>OpenAI's error body: <c>{"error":{"message","type","param","code"}}</c>.</summary>
public sealed record SimErrorBody(SimErrorDetail Error);

public sealed record SimErrorDetail(string Message, string Type, string? Param, string? Code);

/// <summary>Azure OpenAI's error body for what it refuses before the model is reached (routing, keys):
/// <c>{"error":{"code","message"}}</c>.</summary>
public sealed record AzureErrorBody(AzureErrorDetail Error);

public sealed record AzureErrorDetail(string Code, string Message);

/// <summary>Which provider's error body an error is written as.</summary>
internal enum ErrorShape
{
    OpenAI,
    Azure,
}

/// <summary>An error the simulator answers with, before it is written.</summary>
internal sealed record SimError(int Status, string Message, string Type, string? Param = null, string? Code = null, ErrorShape Shape = ErrorShape.OpenAI);
