using DataflowNet.Tests.Checkpoints;

namespace DataflowNet.Tests;

/// <summary>
/// The test assembly's entry point. Under the test runner it is never called; the checkpoint tests start this
/// assembly as a child process (<c>dotnet DataflowNet.Tests.dll mode args</c>) to save in a process they kill, and
/// to restore in a process of its own.
/// </summary>
public static class Program
{
    public static int Main(string[] args) => args.Length > 0 ? CheckpointChild.Run(args) : 0;
}
