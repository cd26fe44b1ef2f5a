using DataflowNet.Io;
using DataflowNet.Io.Proto;
using Google.Protobuf;

namespace DataflowNet;

public static partial class tf
{
    public static partial class train
    {
        /// <summary>
        /// Adds a MetaGraphDef's graph (a <c>.meta</c> file, binary or text, or the message) to the default graph and
        /// restores its collections, as TensorFlow 1's <c>tf.train.import_meta_graph</c>. Returns a Saver over the
        /// imported save and restore ops (the file's SaverDef), a new Saver over the imported variables when the file
        /// has none, or null when it has no variables: <c>saver.restore(sess, tf.train.latest_checkpoint(dir))</c>.
        /// </summary>
        public static DataflowNet.Saver? import_meta_graph(object meta_graph_or_file, bool clear_devices = false, string? import_scope = null)
        {
            var meta = meta_graph_or_file switch
            {
                string path => MetaGraph.Read(path),
                MetaGraphDef m => m.Clone(),
                _ => throw new InvalidArgumentException($"import_meta_graph takes a file path or a MetaGraphDef, not {meta_graph_or_file?.GetType().Name ?? "null"}."),
            };
            if (clear_devices)
                foreach (var n in meta.GraphDef?.Node ?? []) n.Device = "";
            var graph = DataflowNet.Graph.Default;
            var before = graph.get_collection<Variable>(DataflowNet.GraphKeys.GLOBAL_VARIABLES).Count;
            var prefix = MetaGraph.Import(graph, meta, import_scope);
            var imported = graph.get_collection<Variable>(DataflowNet.GraphKeys.GLOBAL_VARIABLES).Skip(before).ToList();
            if (imported.Count == 0) return null;
            return meta.SaverDef is { } def && !string.IsNullOrEmpty(def.RestoreOpName)
                ? new DataflowNet.Saver(graph, def, imported, prefix)
                : Saver(imported);
        }

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
