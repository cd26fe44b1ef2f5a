using DataflowNet.Io;
using DataflowNet.Io.Proto;

namespace DataflowNet;

public static partial class tf
{
    /// <summary>Graph surgery on GraphDefs (tf.graph_util): cutting out a subgraph, freezing variables into constants.</summary>
    public static class graph_util
    {
        /// <summary>Op types holding a variable's value, replaced by a Const when freezing.</summary>
        private static readonly HashSet<string> VariableOps = ["VariableV2", "Variable"];

        /// <summary>
        /// The GraphDef reduced to the nodes <paramref name="dest_nodes"/> need (through inputs and control inputs),
        /// in their original order. A name may be a node ("y") or one of its tensors ("y:0").
        /// </summary>
        public static GraphDef extract_sub_graph(GraphDef graph_def, IEnumerable<string> dest_nodes)
        {
            var byName = new Dictionary<string, NodeDef>();
            foreach (var n in graph_def.Node) byName.TryAdd(n.Name, n);
            var keep = new HashSet<string>();
            var pending = new Stack<string>();
            foreach (var d in dest_nodes)
            {
                var name = NodeName(d);
                if (!byName.ContainsKey(name))
                    throw new InvalidArgumentException($"Output node '{d}' is not in the graph_def (it has {byName.Count} nodes{Suggest(byName.Keys, name)}).");
                pending.Push(name);
            }
            while (pending.Count > 0)
            {
                var name = pending.Pop();
                if (!keep.Add(name)) continue;
                foreach (var input in byName[name].Input)
                {
                    var src = NodeName(input);
                    if (!byName.ContainsKey(src))
                        throw new InvalidArgumentException($"Node '{name}' has input '{input}', which names no node of the graph_def.");
                    pending.Push(src);
                }
            }
            var result = new GraphDef { Versions = graph_def.Versions?.Clone(), Library = graph_def.Library?.Clone() };
            foreach (var n in graph_def.Node)
                if (keep.Contains(n.Name)) result.Node.Add(n.Clone());
            return result;
        }

        /// <summary>
        /// Freezes a trained graph: the subgraph <paramref name="output_node_names"/> need, with every variable in
        /// it replaced by a Const holding its current value in <paramref name="sess"/> (reads through Identity keep
        /// working, as the Const keeps the variable's name). Initializers and training ops the outputs do not need are
        /// left out. <paramref name="graph_def"/> is normally <c>sess.graph.as_graph_def()</c>.
        /// </summary>
        public static GraphDef convert_variables_to_constants(Session sess, GraphDef graph_def, IEnumerable<string> output_node_names)
        {
            ArgumentNullException.ThrowIfNull(sess);
            var sub = extract_sub_graph(graph_def, output_node_names);
            for (int i = 0; i < sub.Node.Count; i++)
            {
                var node = sub.Node[i];
                if (!VariableOps.Contains(node.Op)) continue;
                Operation variable;
                try { variable = sess.graph.get_operation_by_name(node.Name); }
                catch (NotFoundException)
                {
                    throw new InvalidArgumentException($"Variable '{node.Name}' of the graph_def is not in the session's graph: pass sess.graph.as_graph_def().");
                }
                var value = sess.run(variable.outputs[0]);
                var constant = new NodeDef { Name = node.Name, Op = "Const", Device = node.Device };
                constant.Attr["dtype"] = new AttrValue { Type = TensorProtos.ToProto(value.dtype) };
                constant.Attr["value"] = new AttrValue { Tensor = TensorProtos.ToProto(value) };
                sub.Node[i] = constant;
            }
            return sub;
        }

        /// <summary>"node" from "node", "node:1" or "^node".</summary>
        private static string NodeName(string input)
        {
            var name = input.StartsWith('^') ? input[1..] : input;
            var colon = name.LastIndexOf(':');
            return colon > 0 && int.TryParse(name.AsSpan(colon + 1), out _) ? name[..colon] : name;
        }

        private static string Suggest(IEnumerable<string> names, string wanted)
        {
            var close = names.Where(n => n.EndsWith("/" + wanted, StringComparison.Ordinal) || n.Contains(wanted, StringComparison.OrdinalIgnoreCase)).Take(3).ToList();
            return close.Count == 0 ? "" : $"; did you mean {string.Join(", ", close.Select(c => $"'{c}'"))}?";
        }
    }
}
