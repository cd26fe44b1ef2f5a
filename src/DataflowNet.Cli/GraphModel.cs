using DataflowNet.Io.Proto;

namespace DataflowNet.Cli;

/// <summary>One input of a node: the producing node, its output index, or a control input.</summary>
internal readonly record struct InputRef(string Node, int Index, bool Control);

/// <summary>One output: dtype and shape as text ("float32", "(?, 784)"), "?" when unknown.</summary>
internal readonly record struct OutputInfo(string DType, string Shape);

/// <summary>A node as the commands show it, whether or not DataflowNet could import it.</summary>
internal sealed record NodeInfo(string Name, string Op, string Device, InputRef[] Inputs, OutputInfo[] Outputs, bool Supported)
{
    public string Kind => Op switch
    {
        "Placeholder" or "PlaceholderWithDefault" => "placeholder",
        "VariableV2" or "Variable" or "VarHandleOp" => "variable",
        "Const" => "const",
        _ => Supported ? "op" : "unknown",
    };
}

/// <summary>
/// A graph file's nodes, with each output's dtype and inferred shape when the graph imports into DataflowNet;
/// otherwise the NodeDefs' own information, the op types DataflowNet lacks, and why the import failed.
/// </summary>
internal sealed class GraphModel
{
    public required GraphDef Def { get; init; }
    public required List<NodeInfo> Nodes { get; init; }
    /// <summary>The imported graph (node names as in the file), or null when the import failed.</summary>
    public Graph? Graph { get; init; }
    public string? ImportError { get; init; }
    public required string[] MissingOps { get; init; }

    public static GraphModel Load(GraphDef def)
    {
        var missing = def.Node.Select(n => n.Op).Where(op => !OpRegistry.IsRegistered(op)).Distinct().Order(StringComparer.Ordinal).ToArray();
        Graph? graph = null;
        string? error = null;
        if (missing.Length == 0)
        {
            var g = new Graph();
            try
            {
                using (g.as_default()) tf.import_graph_def(def, name: "");
                graph = g;
            }
            catch (Exception e)
            {
                // Whatever stops the import (a cycle, a malformed attribute), the nodes are still listed as the file has them.
                error = GraphFile.FirstLine(e.Message);
            }
        }
        else error = $"DataflowNet has no op {string.Join(", ", missing)}";

        var nodes = def.Node.Select(n =>
        {
            var inputs = n.Input.Select(Parse).ToArray();
            OutputInfo[] outputs;
            if (graph is not null)
            {
                var op = graph.get_operation_by_name(n.Name);
                outputs = op.outputs.Select(t => new OutputInfo(t.dtype.Name(), t.shape.ToString())).ToArray();
            }
            else outputs = RawOutputs(n);
            return new NodeInfo(n.Name, n.Op, n.Device, inputs, outputs, OpRegistry.IsRegistered(n.Op));
        }).ToList();
        return new GraphModel { Def = def, Nodes = nodes, Graph = graph, ImportError = error, MissingOps = missing };
    }

    public static InputRef Parse(string input)
    {
        if (input.StartsWith('^')) return new InputRef(input[1..], -1, true);
        var colon = input.LastIndexOf(':');
        return colon > 0 && int.TryParse(input.AsSpan(colon + 1), out var i) ? new InputRef(input[..colon], i, false) : new InputRef(input, 0, false);
    }

    /// <summary>What a NodeDef says of its outputs without importing it: _output_shapes, and a dtype or T attribute.</summary>
    private static OutputInfo[] RawOutputs(NodeDef n)
    {
        var dtype = "?";
        foreach (var key in new[] { "dtype", "T", "DstT", "out_type" })
            if (n.Attr.TryGetValue(key, out var a) && a.ValueCase == AttrValue.ValueOneofCase.Type)
            {
                var t = (DataflowNet.DataType)(int)a.Type;
                dtype = Enum.IsDefined(t) && t != DataflowNet.DataType.Invalid ? t.Name() : a.Type.ToString().Replace("Dt", "").ToLowerInvariant();
                break;
            }
        if (n.Attr.TryGetValue("_output_shapes", out var shapes) && shapes.List is { } list && list.Shape.Count > 0)
            return list.Shape.Select(s => new OutputInfo(dtype, FormatShape(s))).ToArray();
        return n.Op == "NoOp" ? [] : [new OutputInfo(dtype, "?")];
    }

    private static string FormatShape(TensorShapeProto s) =>
        s.UnknownRank ? "<unknown>" : new TensorShape(s.Dim.Select(d => (int)d.Size).ToArray()).ToString();
}
