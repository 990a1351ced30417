namespace Parley.Sim;

public static class SimulatorProgram
{
    public static int Main(string[] args) => 0; // TODO(sim helper)
}
