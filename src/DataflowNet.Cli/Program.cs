using Google.Protobuf;
using Spectre.Console;

namespace DataflowNet.Cli;

/// <summary>
/// <c>dataflow</c>: inspect, run, render and convert TensorFlow graph files (.pb, .pbtxt, .meta) with DataflowNet.
/// Exit codes: 0 done, 1 the file or the run failed (one line on standard error), 2 a mistake in the command line.
/// </summary>
public static class Program
{
    public const string Usage = """
        usage: dataflow <command> [options]

        commands:
          inspect FILE                       list the ops: name, type, inputs, outputs (dtype, shape), device
          run FILE [--feed NAME=VALUE]... --fetch NAME... [--init] [--out DIR]
                                             run the graph; VALUE is a JSON literal ([[1,2],[3,4]]) or a .npy file;
                                             prints the fetched values as JSON, or writes DIR/NAME.npy with --out;
                                             --init runs the graph's 'init' op first (variables)
          render FILE -o OUT.svg [--collapse SCOPE]...
                                             draw the graph as SVG: layers top to bottom, name scopes as boxes
          convert IN OUT                     rewrite a graph file: .pb (binary) <-> .pbtxt (text); .meta in
          help                               this text

        FILE: a GraphDef (.pb binary or .pbtxt text, told apart by content) or a MetaGraphDef (.meta).
        """;

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs one command line, writing to <paramref name="stdout"/> and <paramref name="stderr"/>; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var console = CreateConsole(stdout);
        try
        {
            if (args.Length == 0) throw new UsageError("no command given");
            var rest = args[1..];
            switch (args[0])
            {
                case "inspect": return InspectCommand.Execute(Options.Parse(rest, [], []), console);
                case "run": return RunCommand.Execute(Options.Parse(rest, ["--feed", "--fetch", "--out"], ["--init"]), stdout, stderr);
                case "render": return RenderCommand.Execute(Options.Parse(rest, ["-o", "--output", "--collapse"], []), stdout);
                case "convert": return ConvertCommand.Execute(Options.Parse(rest, [], []), stdout);
                case "help" or "--help" or "-h": stdout.WriteLine(Usage); return 0;
                default: throw new UsageError($"unknown command '{args[0]}'");
            }
        }
        catch (UsageError e)
        {
            stderr.WriteLine($"dataflow: {e.Message}");
            stderr.WriteLine(Usage);
            return 2;
        }
        catch (Exception e) when (e is CliError or DataflowException or IOException or UnauthorizedAccessException
                                      or InvalidProtocolBufferException or System.Text.Json.JsonException)
        {
            stderr.WriteLine($"dataflow: error: {GraphFile.FirstLine(e.Message)}");
            return 1;
        }
        catch (Exception e)
        {
            // Anything else is a bug here or in the library; still one line, never a stack trace.
            stderr.WriteLine($"dataflow: error ({e.GetType().Name}): {GraphFile.FirstLine(e.Message)}");
            return 1;
        }
    }

    private static IAnsiConsole CreateConsole(TextWriter writer)
    {
        var toTerminal = ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = toTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = toTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        if (!toTerminal) console.Profile.Width = 240; // a file or a test: wide tables rather than wrapped names
        return console;
    }
}

/// <summary>A command's arguments: positionals, options with a value (repeatable), flags.</summary>
internal sealed class Options
{
    public List<string> Positional { get; } = [];
    public Dictionary<string, List<string>> Values { get; } = new();
    public HashSet<string> Flags { get; } = [];

    public static Options Parse(string[] args, string[] valued, string[] flags)
    {
        var o = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (a.StartsWith('-') && a.Length > 1)
            {
                var eq = a.StartsWith("--", StringComparison.Ordinal) ? a.IndexOf('=') : -1;
                var (name, inline) = eq > 0 ? (a[..eq], a[(eq + 1)..]) : (a, null);
                if (Array.IndexOf(flags, name) >= 0 && inline is null) { o.Flags.Add(name); continue; }
                if (Array.IndexOf(valued, name) < 0) throw new UsageError($"unknown option '{a}'");
                var value = inline ?? (i + 1 < args.Length ? args[++i] : throw new UsageError($"option {name} needs a value"));
                (o.Values.TryGetValue(name, out var l) ? l : o.Values[name] = []).Add(value);
            }
            else o.Positional.Add(a);
        }
        return o;
    }

    public List<string> All(params string[] names) => names.SelectMany(n => Values.GetValueOrDefault(n) ?? []).ToList();
    public string? One(params string[] names)
    {
        var all = All(names);
        if (all.Count > 1) throw new UsageError($"option {names[0]} given {all.Count} times");
        return all.Count == 0 ? null : all[0];
    }

    public string File(string command)
    {
        if (Positional.Count == 0) throw new UsageError($"{command} needs a graph file");
        if (Positional.Count > 1) throw new UsageError($"{command} takes one graph file, got '{string.Join("', '", Positional)}'");
        return Positional[0];
    }
}
