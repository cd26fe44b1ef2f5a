using DataflowNet.Io.Proto;
using Google.Protobuf;

namespace DataflowNet.Io;

/// <summary>
/// TensorFlow's MetaGraphDef: a GraphDef plus the graph's collections (variables as VariableDef protos, ops and
/// tensors by name, numbers as lists) and, when a saver wrote it, its SaverDef. What <c>tf.train.import_meta_graph</c>
/// and <c>tf.train.export_meta_graph</c> read and write.
/// </summary>
internal static class MetaGraph
{
    /// <summary>Variable collections hold VariableDef protos; every other collection holds names or numbers.</summary>
    private static readonly HashSet<string> VariableCollections =
        [GraphKeys.GLOBAL_VARIABLES, GraphKeys.TRAINABLE_VARIABLES, GraphKeys.LOCAL_VARIABLES, GraphKeys.GLOBAL_STEP, "model_variables", "moving_average_variables"];

    public static MetaGraphDef Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { throw new NotFoundException($"MetaGraphDef file '{path}' not found."); }
        try { return MetaGraphDef.Parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException e)
        {
            // TensorFlow also writes .meta files in text format (export_meta_graph(as_text=True)).
            try { return TextFormatParser.Parse<MetaGraphDef>(System.Text.Encoding.UTF8.GetString(bytes)); }
            catch (DataflowException text)
            {
                throw new InvalidArgumentException($"'{path}' is not a MetaGraphDef: as binary, {e.Message}; as text, {text.Message}");
            }
        }
    }

    /// <summary>
    /// Adds the graph's nodes (under <paramref name="importScope"/>, made unique as a name scope is, or with their own
    /// names) and restores its collections; returns the prefix the nodes got, which the collections and saver use too.
    /// </summary>
    public static string Import(Graph graph, MetaGraphDef meta, string? importScope)
    {
        var prefix = string.IsNullOrEmpty(importScope) ? "" : importScope.EndsWith('/') ? importScope : graph.UniqueName(importScope) + "/";
        using (graph.as_default())
            GraphDefImporter.Import(graph, meta.GraphDef ?? new GraphDef(), null, null, prefix);
        var variables = new Dictionary<string, Variable>();
        foreach (var (key, collection) in meta.CollectionDef.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            switch (collection.KindCase)
            {
                case CollectionDef.KindOneofCase.NodeList:
                    foreach (var name in collection.NodeList.Value)
                        graph.add_to_collection(key, name.Contains(':') ? graph.get_tensor_by_name(prefix + name) : graph.get_operation_by_name(prefix + name));
                    break;
                case CollectionDef.KindOneofCase.BytesList when VariableCollections.Contains(key):
                    foreach (var bytes in collection.BytesList.Value)
                    {
                        var def = VariableDef.Parser.ParseFrom(bytes);
                        if (!variables.TryGetValue(def.VariableName, out var v))
                            variables[def.VariableName] = v = ToVariable(graph, def, prefix);
                        graph.add_to_collection(key, v);
                    }
                    break;
                case CollectionDef.KindOneofCase.Int64List:
                    foreach (var i in collection.Int64List.Value) graph.add_to_collection(key, i);
                    break;
                case CollectionDef.KindOneofCase.FloatList:
                    foreach (var f in collection.FloatList.Value) graph.add_to_collection(key, f);
                    break;
                // Other bytes lists (cond_context, while_context, queue runners…) describe Python-side objects
                // DataflowNet rebuilds from the graph itself, or does not have; they are skipped.
            }
        }
        return prefix;
    }

    private static Variable ToVariable(Graph graph, VariableDef def, string prefix)
    {
        if (def.IsResource)
            throw new UnimplementedException($"Variable '{def.VariableName}' is a resource variable (TensorFlow 2); DataflowNet imports TensorFlow 1's VariableV2 variables.");
        var variable = graph.get_tensor_by_name(prefix + def.VariableName).op;
        var initializer = graph.get_operation_by_name(prefix + def.InitializerName);
        var snapshot = graph.get_tensor_by_name(prefix + def.SnapshotName);
        var initial = string.IsNullOrEmpty(def.InitialValueName) ? null : graph.get_tensor_by_name(prefix + def.InitialValueName);
        // Files older than TensorFlow 1.3 have no 'trainable' field: a variable in trainable_variables is trainable.
        return Variable.FromGraph(variable, initializer, snapshot, initial, def.Trainable);
    }

    /// <summary>The graph and the collections that have a file form, as TensorFlow 1 exports them.</summary>
    public static MetaGraphDef Export(Graph graph, SaverDef? saverDef = null)
    {
        var meta = new MetaGraphDef
        {
            MetaInfoDef = new MetaGraphDef.Types.MetaInfoDef { TensorflowVersion = "1.15.0 (DataflowNet)" },
            GraphDef = graph.as_graph_def(),
            SaverDef = saverDef,
        };
        foreach (var key in graph.get_all_collection_keys().OrderBy(k => k, StringComparer.Ordinal))
        {
            var items = graph.get_collection(key);
            if (items.Count == 0) continue;
            var def = new CollectionDef();
            if (items.All(i => i is Variable))
            {
                def.BytesList = new CollectionDef.Types.BytesList();
                foreach (Variable v in items)
                    def.BytesList.Value.Add(new VariableDef
                    {
                        VariableName = v.name, InitializerName = v.initializer.name, SnapshotName = v.value().name,
                        InitialValueName = v.initial_value.name, Trainable = v.trainable,
                    }.ToByteString());
            }
            else if (items.All(i => i is Tensor or Operation))
            {
                def.NodeList = new CollectionDef.Types.NodeList();
                foreach (var i in items) def.NodeList.Value.Add(i is Variable v ? v.name : i is Tensor t ? t.name : ((Operation)i).name);
            }
            else if (items.All(i => i is int or long))
            {
                def.Int64List = new CollectionDef.Types.Int64List();
                foreach (var i in items) def.Int64List.Value.Add(Convert.ToInt64(i));
            }
            else if (items.All(i => i is float or double))
            {
                def.FloatList = new CollectionDef.Types.FloatList();
                foreach (var i in items) def.FloatList.Value.Add(Convert.ToSingle(i));
            }
            else continue; // Python-side objects with no file form
            meta.CollectionDef[key] = def;
        }
        return meta;
    }
}
