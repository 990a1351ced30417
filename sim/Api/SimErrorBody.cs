namespace Parley.Sim.Api;

/// <summary>OpenAI's error body: <c>{"error":{"message","type","param","code"}}</c>.</summary>
public sealed record SimErrorBody(SimErrorDetail Error);

public sealed record SimErrorDetail(string Message, string Type, string? Param, string? Code);

/// <summary>An error the simulator answers with, before it is written.</summary>
internal sealed record SimError(int Status, string Message, string Type, string? Param = null, string? Code = null);
