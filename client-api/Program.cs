namespace Parley.ClientApi;

public static class Program
{
    public static int Main(string[] args) => 0; // TODO(front-end helper)
}
