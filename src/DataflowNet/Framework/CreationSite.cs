using System.Diagnostics;
using System.Reflection;

namespace DataflowNet;

/// <summary>Finds the user's line that created an op: the first stack frame outside this library.</summary>
internal static class CreationSite
{
    private static readonly Assembly Library = typeof(CreationSite).Assembly;

    public static string Capture()
    {
        // Graph building is not a hot path; a stack walk per op is cheap next to a session's run.
        var trace = new StackTrace(2, fNeedFileInfo: true);
        foreach (var frame in trace.GetFrames())
        {
            var method = frame.GetMethod();
            var asm = method?.DeclaringType?.Assembly;
            if (asm is null || asm == Library) continue;
            var name = asm.GetName().Name ?? "";
            if (name.StartsWith("System.", StringComparison.Ordinal) || name == "System" || name.StartsWith("nunit", StringComparison.OrdinalIgnoreCase)) continue;
            var file = frame.GetFileName();
            return file is null
                ? $"{method!.DeclaringType!.Name}.{method.Name}"
                : $"{file}:{frame.GetFileLineNumber()}";
        }
        return "<unknown>";
    }
}
