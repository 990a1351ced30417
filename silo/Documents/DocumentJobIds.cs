namespace Parley.Silo.Documents;

/// <summary>Ids of document jobs: <c>docjob_</c> + 32 hex digits. A route refuses any other shape before a grain is
/// addressed by it.</summary>
internal static class DocumentJobIds
{
    public const string Prefix = "docjob_";

    public static string New() => Prefix + Guid.NewGuid().ToString("N");

    public static bool Is(string? id) => Batches.BatchIds.Is(id, Prefix);
}
