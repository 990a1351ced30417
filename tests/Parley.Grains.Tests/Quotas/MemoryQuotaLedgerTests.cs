using Parley.Grains.Quotas;
using Parley.Grains.Quotas.Ledger;

namespace Parley.Grains.Tests.Quotas;

public sealed class MemoryQuotaLedgerTests : QuotaLedgerContractTests
{
    protected override Task<IQuotaLedger> CreateLedgerAsync() => Task.FromResult<IQuotaLedger>(new MemoryQuotaLedger());
}
