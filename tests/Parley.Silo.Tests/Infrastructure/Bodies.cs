namespace Parley.Silo.Tests.Infrastructure;

/// <summary>Request bodies used by many tests.</summary>
public static class Bodies
{
    public static string Simple(bool stream = false, string model = SiloHarness.Model, string content = "Hello")
        => stream
            ? $$"""{"model":"{{model}}","messages":[{"role":"user","content":"{{content}}"}],"stream":true}"""
            : $$"""{"model":"{{model}}","messages":[{"role":"user","content":"{{content}}"}]}""";
}
