using DataflowNet.Io;
using DataflowNet.Io.Proto;

namespace DataflowNet;

/// <summary>
/// A graph as TensorFlow's GraphDef: one NodeDef per op, in creation order (so inputs come first), with the type
/// attributes TensorFlow requires (<see cref="TypeAttrs"/>) beside the attributes the op keeps.
/// </summary>
public static class GraphDefExport
{
    /// <summary>The producer version written in <c>versions</c>: TensorFlow 1.15's GraphDef version.</summary>
    public const int Producer = 134;

    /// <param name="add_shapes">Also record each node's output shapes in its <c>_output_shapes</c> attribute, as
    /// TensorFlow does for TensorBoard's graph view.</param>
    public static GraphDef as_graph_def(this Graph graph, bool add_shapes = false)
    {
        var g = new GraphDef { Versions = new VersionDef { Producer = Producer } };
        foreach (var op in graph.get_operations())
        {
            var node = ToNodeDef(op);
            if (add_shapes)
                node.Attr[OutputShapesAttr] = AttrValues.ToProto(op.outputs.Select(t => t.shape).ToArray(), $"op '{op.name}' output shapes");
            g.Node.Add(node);
        }
        return g;
    }

    /// <summary>The attribute holding a node's output shapes (written with <c>add_shapes</c>).</summary>
    public const string OutputShapesAttr = "_output_shapes";

    public static NodeDef ToNodeDef(Operation op)
    {
        var n = new NodeDef { Name = op.name, Op = op.type, Device = op.device ?? "" };
        foreach (var t in op.inputs) n.Input.Add(InputName(t));
        foreach (var c in op.control_inputs) n.Input.Add("^" + c.name);
        foreach (var (key, value) in op.Attrs.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            n.Attr[key] = AttrValues.ToProto(value, $"op '{op.name}' ({op.type}) attribute '{key}'");
        TypeAttrs.AddTo(n, op); // T, Tidx, N…: what TensorFlow needs to load the node
        return n;
    }

    /// <summary>"op" for output 0, "op:i" otherwise, as TensorFlow names inputs in a NodeDef.</summary>
    public static string InputName(Tensor t) => t.value_index == 0 ? t.op.name : $"{t.op.name}:{t.value_index}";
}
