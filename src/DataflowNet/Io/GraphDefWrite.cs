using DataflowNet.Io.Proto;
using Google.Protobuf;

namespace DataflowNet;

public static partial class tf
{
    public static partial class train
    {
        /// <summary>
        /// Writes the graph (or GraphDef) to <c>logdir/name</c>, as protobuf text when <paramref name="as_text"/> (TensorFlow's
        /// .pbtxt) or binary; creates <paramref name="logdir"/> if needed and returns the path written.
        /// </summary>
        public static string write_graph(object graph_or_graph_def, string logdir, string name, bool as_text = true)
        {
            var def = graph_or_graph_def switch
            {
                Graph g => g.as_graph_def(),
                GraphDef d => d,
                _ => throw new InvalidArgumentException($"write_graph needs a Graph or a GraphDef, got {graph_or_graph_def?.GetType().Name ?? "null"}."),
            };
            Directory.CreateDirectory(logdir);
            var path = Path.Combine(logdir, name);
            if (as_text) File.WriteAllText(path, def.ToText());
            else File.WriteAllBytes(path, def.ToByteArray());
            return path;
        }
    }
}
