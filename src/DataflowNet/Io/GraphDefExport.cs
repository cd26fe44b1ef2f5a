using DataflowNet.Io;
using DataflowNet.Io.Proto;

namespace DataflowNet;

/// <summary>A graph as TensorFlow's GraphDef: one NodeDef per op, in creation order (so inputs come first).</summary>
public static class GraphDefExport
{
    /// <summary>The producer version written in <c>versions</c>: TensorFlow 1.15's GraphDef version.</summary>
    public const int Producer = 134;

    public static GraphDef as_graph_def(this Graph graph)
    {
        var g = new GraphDef { Versions = new VersionDef { Producer = Producer } };
        foreach (var op in graph.get_operations()) g.Node.Add(ToNodeDef(op));
        return g;
    }

    public static NodeDef ToNodeDef(Operation op)
    {
        var n = new NodeDef { Name = op.name, Op = op.type, Device = op.device ?? "" };
        foreach (var t in op.inputs) n.Input.Add(InputName(t));
        foreach (var c in op.control_inputs) n.Input.Add("^" + c.name);
        foreach (var (key, value) in op.Attrs.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            n.Attr[key] = AttrValues.ToProto(value, $"op '{op.name}' ({op.type}) attribute '{key}'");
        return n;
    }

    /// <summary>"op" for output 0, "op:i" otherwise, as TensorFlow names inputs in a NodeDef.</summary>
    public static string InputName(Tensor t) => t.value_index == 0 ? t.op.name : $"{t.op.name}:{t.value_index}";
}
