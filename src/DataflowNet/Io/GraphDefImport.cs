using DataflowNet.Io;
using DataflowNet.Io.Proto;

namespace DataflowNet;

public static partial class tf
{
    /// <summary>
    /// Adds the GraphDef's nodes to the default graph, each named <c>name/node</c> (<c>name</c> made unique; an
    /// empty <paramref name="name"/> keeps the node names). Nodes may be listed in any order. <paramref name="input_map"/>
    /// replaces inputs ("node" or "node:i") by existing tensors. Returns the ops (a bare name) or tensors ("name:i") named
    /// in <paramref name="return_elements"/>, in order; empty when none are asked for.
    /// </summary>
    public static object[] import_graph_def(GraphDef graph_def, IDictionary<string, Tensor>? input_map = null,
                                            string[]? return_elements = null, string? name = "import")
        => GraphDefImporter.Import(DataflowNet.Graph.Default, graph_def, input_map, return_elements, name);
}

internal static class GraphDefImporter
{
    public static object[] Import(Graph graph, GraphDef graphDef, IDictionary<string, Tensor>? inputMap, string[]? returnElements, string? name)
    {
        var nodes = new Dictionary<string, NodeDef>();
        foreach (var n in graphDef.Node)
            if (!nodes.TryAdd(n.Name, n)) throw new InvalidArgumentException($"GraphDef has two nodes named '{n.Name}'.");
        var map = new Dictionary<string, Tensor>();
        if (inputMap is not null)
            foreach (var (key, t) in inputMap) map[Canonical(key)] = t;

        // Every op type is checked before anything is added, so an unsupported graph fails whole and names its op.
        foreach (var n in graphDef.Node)
            if (!OpRegistry.IsRegistered(n.Op))
                throw new NotFoundException($"Op type not registered '{n.Op}' in DataflowNet, needed by node '{n.Name}' of the imported GraphDef.");
        // A name is made unique under the current name scope (import, import_1…); one ending in '/' is used as given.
        var prefix = string.IsNullOrEmpty(name) ? "" : name.EndsWith('/') ? name : graph.UniqueName(name) + "/";
        var created = new Dictionary<string, Operation>();
        var backEdges = new List<(Operation Merge, int Input, string Source)>();
        // Without a prefix a node whose name the graph already holds is renamed x_1, x_2… (TensorFlow's uniquify_names);
        // its consumers find it by its GraphDef name, through `created`.
        string ImportedName(string nodeName)
        {
            var full = prefix + nodeName;
            if (prefix.Length > 0 || !graph.HasOperation(full)) return full;
            for (int k = 1; ; k++)
            {
                var candidate = $"{full}_{k}";
                if (!graph.HasOperation(candidate) && !nodes.ContainsKey(candidate)) return candidate;
            }
        }
        // A key of input_map that no input names is a typo that would leave the original value wired in: TF refuses it.
        var unmatched = map.Keys.Where(k => !graphDef.Node.Any(n => n.Input.Any(i => !i.StartsWith('^') && Canonical(i) == k))).ToList();
        if (unmatched.Count > 0)
            throw new InvalidArgumentException($"Attempted to map inputs that were not found in graph_def: [{string.Join(", ", unmatched)}]");
        foreach (var node in TopologicalOrder(graphDef, nodes, map))
        {
            var where = $"node '{node.Name}' (op '{node.Op}')";
            var def = OpRegistry.Get(node.Op);
            var inputs = new List<Tensor>();
            var controls = new List<Operation>();
            foreach (var input in node.Input)
            {
                if (input.StartsWith('^')) { controls.Add(created[input[1..]]); continue; }
                var key = Canonical(input);
                if (map.TryGetValue(key, out var mapped)) { inputs.Add(mapped); continue; }
                var (src, index) = Split(input);
                if (IsBackEdge(node, src, nodes))
                {
                    // A while loop's back edge: the Merge is created before its NextIteration and patched after.
                    backEdges.Add((null!, inputs.Count, input));
                    inputs.Add(null!);
                    continue;
                }
                var op = created[src];
                if (index >= op.outputs.Length)
                    throw new InvalidArgumentException($"{where} takes input '{input}', but '{src}' has only {op.outputs.Length} outputs.");
                inputs.Add(op.outputs[index]);
            }
            var attrs = new Dictionary<string, object>();
            foreach (var (key, value) in node.Attr)
                attrs[key] = AttrValues.FromProto(value, def.Attrs.GetValueOrDefault(key), $"{where} attribute '{key}'");
            // Colocation names the node it sits with: under a prefix that node is renamed too (TF's AddPrefixToNodeDef).
            if (prefix.Length > 0 && attrs.TryGetValue("_class", out var colocation) && colocation is string[] groups)
                attrs["_class"] = groups.Select(g => g.StartsWith("loc:@") ? "loc:@" + prefix + g[5..] : g).ToArray();
            var pendingBackEdges = backEdges.Count > 0 && backEdges[^1].Merge is null;
            if (pendingBackEdges)
            {
                var forward = inputs.FirstOrDefault(t => t is not null)
                    ?? throw new InvalidArgumentException($"{where} takes only back edges from NextIteration ops; a while loop's Merge needs an input from its Enter.");
                for (int i = 0; i < inputs.Count; i++) inputs[i] ??= forward;
            }
            var imported = graph.CreateOp(node.Op, inputs.ToArray(), attrs, ImportedName(node.Name) + "/", controls);
            for (int i = backEdges.Count - 1; i >= 0 && backEdges[i].Merge is null; i--) backEdges[i] = backEdges[i] with { Merge = imported };
            graph.MarkNameUsed(imported.name);
            if (!string.IsNullOrEmpty(node.Device)) imported.device = node.Device;
            created[node.Name] = imported;
        }

        foreach (var (merge, i, source) in backEdges)
        {
            var (src, index) = Split(source);
            var next = created[src];
            if (index >= next.outputs.Length || next.outputs[index].dtype != merge.outputs[0].dtype)
                throw new InvalidArgumentException($"Merge '{merge.name}' takes back edge '{source}', which does not match its other input.");
            merge.inputs[i] = next.outputs[index];
        }

        if (returnElements is null) return [];
        return returnElements.Select(e =>
        {
            var (src, index) = Split(e);
            if (!created.TryGetValue(src, out var op)) throw new InvalidArgumentException($"Requested return element '{e}' is not in the imported GraphDef.");
            if (!e.Contains(':')) return (object)op;
            if (index >= op.outputs.Length) throw new InvalidArgumentException($"Requested return tensor '{e}' does not exist: '{src}' has {op.outputs.Length} outputs.");
            return op.outputs[index];
        }).ToArray();
    }

    /// <summary>Nodes ordered so each comes after its inputs (Kahn's algorithm, keeping file order where free).</summary>
    private static List<NodeDef> TopologicalOrder(GraphDef graphDef, Dictionary<string, NodeDef> nodes, Dictionary<string, Tensor> map)
    {
        var pending = new Dictionary<string, int>();
        var consumers = new Dictionary<string, List<NodeDef>>();
        foreach (var n in graphDef.Node)
        {
            var deps = new HashSet<string>();
            foreach (var input in n.Input)
            {
                // An input that input_map replaces needs no node here (an extracted subgraph's boundary).
                if (!input.StartsWith('^') && map.ContainsKey(Canonical(input))) continue;
                var src = input.StartsWith('^') ? input[1..] : Split(input).Node;
                if (!nodes.ContainsKey(src))
                    throw new InvalidArgumentException($"Node '{n.Name}' (op '{n.Op}') has input '{input}', which names no node of the GraphDef.");
                if (!input.StartsWith('^') && IsBackEdge(n, src, nodes)) continue;
                deps.Add(src);
            }
            pending[n.Name] = deps.Count;
            foreach (var d in deps) (consumers.TryGetValue(d, out var l) ? l : consumers[d] = []).Add(n);
        }
        var ready = new Queue<NodeDef>(graphDef.Node.Where(n => pending[n.Name] == 0));
        var order = new List<NodeDef>();
        while (ready.Count > 0)
        {
            var n = ready.Dequeue();
            order.Add(n);
            if (consumers.TryGetValue(n.Name, out var cs))
                foreach (var c in cs) if (--pending[c.Name] == 0) ready.Enqueue(c);
        }
        if (order.Count < graphDef.Node.Count)
        {
            var stuck = graphDef.Node.Where(n => pending[n.Name] > 0).Select(n => $"'{n.Name}' ({n.Op})").Take(5);
            throw new InvalidArgumentException($"The GraphDef has a cycle that no while loop closes (only a Merge may take a NextIteration's output); nodes on or after it: {string.Join(", ", stuck)}.");
        }
        return order;
    }

    /// <summary>Whether the edge src → node is a while loop's back edge: a NextIteration feeding a Merge.</summary>
    private static bool IsBackEdge(NodeDef node, string src, Dictionary<string, NodeDef> nodes) =>
        node.Op == "Merge" && nodes.TryGetValue(src, out var source) && source.Op == "NextIteration";

    private static (string Node, int Index) Split(string input)
    {
        var colon = input.LastIndexOf(':');
        return colon > 0 && int.TryParse(input.AsSpan(colon + 1), out var i) ? (input[..colon], i) : (input, 0);
    }

    private static string Canonical(string input)
    {
        var (n, i) = Split(input);
        return $"{n}:{i}";
    }
}
