using DataflowNet.Io.Proto;
using Google.Protobuf;

namespace DataflowNet.Cli;

/// <summary>What the command reads: a GraphDef from a .pb or .pbtxt file, or the graph of a .meta file.</summary>
internal static class GraphFile
{
    public static GraphDef Read(string path)
    {
        if (Directory.Exists(path)) throw new CliError($"{path} is a folder, not a graph file.");
        if (!File.Exists(path)) throw new CliError($"{path}: no such file.");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0) throw new CliError($"{path} is empty.");
        GraphDef def;
        try
        {
            if (IsMeta(path)) def = MetaGraphDef.Parser.ParseFrom(bytes).GraphDef ?? new GraphDef();
            else def = GraphDef.Read(path);
        }
        catch (InvalidProtocolBufferException e) { throw new CliError($"{path} is not a valid {Kind(path)}: {e.Message}"); }
        catch (InvalidArgumentException e)
        {
            var message = FirstLine(e.Message);
            throw new CliError(message.StartsWith(path, StringComparison.Ordinal) ? message : $"{path} is not a valid {Kind(path)}: {message}");
        }
        // Random bytes can happen to parse as a protobuf message of unknown fields: a graph file holds nodes.
        if (def.Node.Count == 0) throw new CliError($"{path} holds no graph nodes: is it a {Kind(path)}?");
        return def;
    }

    /// <summary>Writes binary (.pb) or protobuf text (.pbtxt, .txt), told by the extension.</summary>
    public static void Write(GraphDef def, string path)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        switch (ext)
        {
            case ".pb": File.WriteAllBytes(path, def.SerializeToString()); break;
            case ".pbtxt" or ".txt": File.WriteAllText(path, def.ToText()); break;
            default: throw new CliError($"{path}: cannot tell the format from '{ext}'; write .pb (binary) or .pbtxt (text).");
        }
    }

    public static bool IsMeta(string path) => Path.GetExtension(path).Equals(".meta", StringComparison.OrdinalIgnoreCase);
    private static string Kind(string path) => IsMeta(path) ? "MetaGraphDef" : "GraphDef";
    public static string FirstLine(string message) => message.Split('\n')[0].Trim();
}

/// <summary>An error the command reports in one line, exiting with 1.</summary>
internal sealed class CliError(string message) : Exception(message);

/// <summary>A mistake in the command line: usage is printed, exit code 2.</summary>
internal sealed class UsageError(string message) : Exception(message);
