namespace Parley.Sim.Faults;

/// <summary>Thrown by the simulator, after flushing part of a response, to cut the connection. Kestrel then ends
/// the HTTP/1.1 response without its terminating chunk (or short of its Content-Length) and closes the connection
/// once the flushed bytes are sent. HttpContext.Abort() would reset the connection at once and could drop bytes
/// still queued in the transport, so the client might never see the partial response. Kestrel logs it as an
/// application error, with this message.</summary>
public sealed class SimulatedConnectionCutException()
    : Exception("Simulated fault: the simulator cut this connection mid-response on purpose (x-sim-fault: cut-mid-stream or Simulator:CutMidStreamRate).");
