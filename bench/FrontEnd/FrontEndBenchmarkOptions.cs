namespace Parley.Bench.FrontEnd;

internal sealed record FrontEndBenchmarkOptions(int Seconds, int WarmupSeconds, int Rounds, int Connections, int Threads, int StreamEvents, bool SiloHttp2);
