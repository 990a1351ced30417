namespace Parley.ClientApi.Hosting;

/// <summary><c>Parley:Redis</c>, shared with the silos: set, the front end is a client of the Orleans cluster whose
/// membership lives in that Redis; empty, it forwards to the fixed <c>Parley:FrontEnd:Silos</c>.</summary>
public sealed class FrontEndRedisOptions
{
    public const string SectionName = "Parley:Redis";

    public string ConnectionString { get; set; } = "";
}
