using System.Text;

namespace DataflowNet;

/// <summary>
/// The TensorFlow 1 API under Python's names, so ported code reads line for line like the Python:
/// <c>tf.constant</c>, <c>tf.placeholder</c>, <c>tf.Variable</c>, <c>tf.Session()</c>. Each method creates one op
/// (or a few) through the op definitions; everything beneath is ordinary .NET.
/// </summary>
public static partial class tf
{
    // ---------- dtypes ----------
    public static readonly DataType float32 = DataType.Float32;
    public static readonly DataType float64 = DataType.Float64;
    public static readonly DataType int32 = DataType.Int32;
    public static readonly DataType int64 = DataType.Int64;
    public static readonly DataType uint8 = DataType.UInt8;
    public static readonly DataType @bool = DataType.Bool;
    public static readonly DataType @string = DataType.String;
    /// <summary>Python's None in a shape.</summary>
    public const int None = -1;
    /// <summary>tf.newaxis inside an indexer spec: <c>x["..., tf.newaxis"]</c> also accepts the word itself.</summary>
    public const string newaxis = "tf.newaxis";

    // ---------- graphs and sessions ----------
    public static DataflowNet.Graph get_default_graph() => DataflowNet.Graph.Default;
    public static void reset_default_graph() => DataflowNet.Graph.ResetDefault();
    public static DataflowNet.Graph Graph() => new();
    public static Session Session(DataflowNet.Graph? graph = null, ConfigProto? config = null) => new(graph, config);
    public static InteractiveSession InteractiveSession(DataflowNet.Graph? graph = null, ConfigProto? config = null) => new(graph, config);
    public static Session? get_default_session() => DataflowNet.Session.Default;
    public static NameScope name_scope(string name) => DataflowNet.Graph.Default.name_scope(name);
    public static IDisposable device(string? device_name) => DataflowNet.Graph.Default.device(device_name);
    public static IDisposable control_dependencies(IEnumerable<object>? control_inputs) => DataflowNet.Graph.Default.control_dependencies(control_inputs);
    public static IDisposable control_dependencies(params object[] control_inputs) => DataflowNet.Graph.Default.control_dependencies(control_inputs);
    public static void set_random_seed(int seed) => DataflowNet.Graph.Default.seed = seed;
    public static void add_to_collection(string name, object value) => DataflowNet.Graph.Default.add_to_collection(name, value);
    public static List<object> get_collection(string key) => DataflowNet.Graph.Default.get_collection(key);

    /// <summary>Collection names (tf.GraphKeys).</summary>
    public static class GraphKeys
    {
        public const string GLOBAL_VARIABLES = DataflowNet.GraphKeys.GLOBAL_VARIABLES;
        public const string TRAINABLE_VARIABLES = DataflowNet.GraphKeys.TRAINABLE_VARIABLES;
        public const string LOCAL_VARIABLES = DataflowNet.GraphKeys.LOCAL_VARIABLES;
        public const string UPDATE_OPS = DataflowNet.GraphKeys.UPDATE_OPS;
        public const string LOSSES = DataflowNet.GraphKeys.LOSSES;
        public const string SUMMARIES = DataflowNet.GraphKeys.SUMMARIES;
        public const string TRAIN_OP = DataflowNet.GraphKeys.TRAIN_OP;
        public const string GLOBAL_STEP = DataflowNet.GraphKeys.GLOBAL_STEP;
    }

    // ---------- constants and placeholders ----------
    /// <summary>A constant. Python's rules: double → float32 unless <paramref name="dtype"/> says otherwise; a given shape reshapes or fills.</summary>
    public static Tensor constant(object value, DataType? dtype = null, TensorShape? shape = null, string name = "Const")
    {
        var v = ValueConversion.FromObject(value, dtype, $"tf.constant ({name})");
        if (shape is not null)
        {
            if (!shape.IsFullyDefined) throw new InvalidArgumentException($"tf.constant needs a fully defined shape, got {shape}.");
            var dims = shape.Dims;
            if (v.size == ShapeUtil.Count(dims)) v = v.WithShape((int[])dims.Clone());
            else if (v.size == 1)
            {
                var data = Array.CreateInstance(v.Data.GetType().GetElementType()!, ShapeUtil.Count(dims));
                var element = v.Data.GetValue(0);
                for (int i = 0; i < data.Length; i++) data.SetValue(element, i);
                v = new TensorValue(v.dtype, (int[])dims.Clone(), data);
            }
            else throw new InvalidArgumentException($"tf.constant: {v.size} values cannot fill shape {shape}.");
        }
        return constant_value(v, name);
    }

    internal static Tensor constant_value(TensorValue v, string name = "Const") =>
        DataflowNet.Graph.Default.CreateOp("Const", [], new() { ["value"] = v, ["dtype"] = v.dtype }, name).outputs[0];

    public static Tensor placeholder(DataType dtype, TensorShape? shape = null, string? name = null) =>
        DataflowNet.Graph.Default.CreateOp("Placeholder", [], new() { ["dtype"] = dtype, ["shape"] = shape ?? TensorShape.Unknown }, name ?? "Placeholder").outputs[0];

    public static Tensor placeholder_with_default(TensorLike input, TensorShape shape, string? name = null)
    {
        var t = input.ToTensor();
        return Op("PlaceholderWithDefault", [t], new() { ["dtype"] = t.dtype, ["shape"] = shape }, name);
    }

    // ---------- variables ----------
    public static Variable Variable(TensorLike initial_value, bool trainable = true, string? name = null, DataType? dtype = null, bool validate_shape = true) =>
        DataflowNet.Variable.Create(initial_value, trainable, name, dtype, validate_shape);

    /// <summary>TF1's <c>tf.assign(ref, value)</c>: the same op as <see cref="Variable.assign"/>.</summary>
    public static Tensor assign(Variable @ref, TensorLike value, string? name = null) => @ref.assign(value, name);
    public static Tensor assign_add(Variable @ref, TensorLike value, string? name = null) => @ref.assign_add(value, name);
    public static Tensor assign_sub(Variable @ref, TensorLike value, string? name = null) => @ref.assign_sub(value, name);

    public static List<Variable> global_variables() => DataflowNet.Graph.Default.get_collection<Variable>(GraphKeys.GLOBAL_VARIABLES);
    public static List<Variable> trainable_variables() => DataflowNet.Graph.Default.get_collection<Variable>(GraphKeys.TRAINABLE_VARIABLES);

    /// <summary>One op that runs every given variable's initializer.</summary>
    public static Operation variables_initializer(IEnumerable<Variable> var_list, string name = "init")
    {
        var list = var_list.ToList();
        var graph = list.Count > 0 ? list[0].graph : DataflowNet.Graph.Default;
        return graph.CreateOp("NoOp", [], name: name, controlInputs: list.Select(v => v.initializer));
    }

    public static Operation global_variables_initializer() => variables_initializer(global_variables());
    public static Operation initialize_all_variables() => global_variables_initializer();

    /// <summary>An op that does nothing; with control inputs it groups them.</summary>
    public static Operation no_op(string? name = null) => DataflowNet.Graph.Default.CreateOp("NoOp", [], name: name ?? "NoOp");

    // ---------- printing, for ported print() calls ----------
    /// <summary>Python's print: each argument as Python's str() shows it (values as NumPy prints them), separated by spaces.</summary>
    public static void print(params object?[] values)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < values.Length; i++)
        {
            if (i > 0) sb.Append(' ');
            sb.Append(values[i] switch
            {
                null => "None",
                bool b => b ? "True" : "False",
                string s => s,
                Array a => ValueConversion.FromObject(a, null, "print").ToString(),
                var o => o.ToString(),
            });
        }
        Console.WriteLine(sb.ToString());
    }

    // ---------- helpers for the facade ----------
    internal static Tensor Op(string type, Tensor[] inputs, Dictionary<string, object>? attrs = null, string? name = null) =>
        GraphOf(inputs).CreateOp(type, inputs, attrs, name).outputs[0];

    internal static Tensor[] OpN(string type, Tensor[] inputs, Dictionary<string, object>? attrs = null, string? name = null) =>
        GraphOf(inputs).CreateOp(type, inputs, attrs, name).outputs;

    private static DataflowNet.Graph GraphOf(Tensor[] inputs) => inputs.Length > 0 ? inputs[0].graph : DataflowNet.Graph.Default;

    /// <summary>Converts two operands, giving a C# value the dtype of the tensor beside it (tf.add(x, 1) with x float32 adds 1.0f).</summary>
    internal static (Tensor, Tensor) Operands(TensorLike x, TensorLike y)
    {
        if (x.IsTensor) return (x.Tensor!, y.ToTensor(x.Tensor!.dtype, "y"));
        if (y.IsTensor) return (x.ToTensor(y.Tensor!.dtype, "x"), y.Tensor!);
        var tx = x.ToTensor(null, "x");
        return (tx, y.ToTensor(tx.dtype, "y"));
    }

    internal static Tensor IntVector(int[] values, string name) => constant_value(TensorValue.Create((int[])values.Clone(), values.Length), name);
    internal static Tensor IntScalar(int value, string name) => constant_value(TensorValue.Scalar(value), name);
}
