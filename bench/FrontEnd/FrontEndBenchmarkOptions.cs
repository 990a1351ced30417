using Parley.ClientApi.Hosting;

namespace Parley.Bench.FrontEnd;

internal sealed record FrontEndBenchmarkOptions(int Seconds, int WarmupSeconds, int Rounds, int Connections, int Threads, int StreamEvents, SiloProtocol SiloProtocol);
