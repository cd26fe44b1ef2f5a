using DataflowNet.Io;
using DataflowNet.Io.Proto;
using Google.Protobuf;

namespace DataflowNet;

public static partial class tf
{
    public static partial class train
    {
        /// <summary>
        /// Writes the default graph (or <paramref name="graph"/>) and its collections as a MetaGraphDef, as TensorFlow
        /// 1's <c>tf.train.export_meta_graph</c>; returns it. Binary unless <paramref name="as_text"/>.
        /// </summary>
        public static MetaGraphDef export_meta_graph(string? filename = null, Graph? graph = null, bool as_text = false)
        {
            var meta = MetaGraph.Export(graph ?? DataflowNet.Graph.Default);
            if (filename is not null)
            {
                var dir = Path.GetDirectoryName(Path.GetFullPath(filename));
                if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
                if (as_text) File.WriteAllText(filename, TextFormatWriter.Print(meta));
                else File.WriteAllBytes(filename, meta.ToByteArray());
            }
            return meta;
        }
    }
}
