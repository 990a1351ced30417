using Microsoft.Extensions.Logging.Abstractions;
using Parley.Silo.Audit;
using Xunit;

namespace Parley.Silo.Tests.Audit;

/// <summary>The spool file of each silo in a shared directory: held while its silo lives, adopted once it is gone.</summary>
public sealed class AuditSpoolTests : IDisposable
{
    private static readonly List<AuditRecord> Records = AuditTestData.Chain("10.0.0.9:11111@9", 9);
    private readonly string _directory = Directory.CreateTempSubdirectory("parley-audit-spool-").FullName;

    [Fact]
    public async Task A_live_silos_spool_is_never_adopted_and_a_stopped_ones_is_replayed_by_the_next_in_order()
    {
        using var live = new AuditSpool(_directory, "10.0.0.1:11111@1", NullLogger.Instance);
        live.AppendOverflow(Sealed(1));
        live.AppendBatch([Sealed(2), Sealed(3)]);
        // A silo that stopped while the store was down: its records stay in its file.
        var stopped = new AuditSpool(_directory, "10.0.0.2:11111@2", NullLogger.Instance);
        stopped.AppendBatch([Sealed(7), Sealed(8)]);
        stopped.AppendOverflow(Sealed(9));
        stopped.Sync();
        stopped.Dispose();

        using var next = new AuditSpool(_directory, "10.0.0.3:11111@3", NullLogger.Instance);
        next.AdoptOrphans();
        Assert.Equal([7, 8, 9], await ReplayAsync(next, batchSize: 2));
        Assert.Equal(0, next.PendingBytes);
        // The live silo's file was left to it: its three records replay from there, after its own rotation.
        Assert.Equal([1, 2, 3], await ReplayAsync(live, batchSize: 10));
        Assert.Equal(0, live.PendingBytes);
        Assert.Empty(Directory.GetFiles(Path.Combine(_directory, "spool"), "*.replay"));
    }

    /// <summary>The sequence numbers the spool replays, in the order it writes them.</summary>
    private static async Task<List<long>> ReplayAsync(AuditSpool spool, int batchSize)
    {
        var replayed = new List<long>();
        await spool.ReplayAsync((batch, _) =>
        {
            replayed.AddRange(batch.Select(r => r.Seq));
            return Task.CompletedTask;
        }, batchSize, CancellationToken.None);
        return replayed;
    }

    private static AuditRecord Sealed(long seq) => Records[(int)seq - 1];

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
