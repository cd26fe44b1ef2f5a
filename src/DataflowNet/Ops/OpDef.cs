namespace DataflowNet;

/// <summary>
/// The one description of an op type: its TensorFlow name, named inputs, attributes with defaults, the shape
/// function that infers output dtypes and shapes at build time, and flags the runtime needs. Kernels live with
/// their device (see <see cref="KernelRegistry"/>), so adding a device touches no definition.
/// </summary>
public sealed class OpDef
{
    public OpDef(string type, params string[] inputs)
    {
        Type = type;
        InputNames = inputs;
    }

    /// <summary>TensorFlow's op type name (AddV2, MatMul, VariableV2…).</summary>
    public string Type { get; }
    /// <summary>Input argument names, for messages. A name ending in '*' is a list taking the remaining inputs.</summary>
    public string[] InputNames { get; }
    public Dictionary<string, object> Attrs { get; init; } = new();
    /// <summary>Infers each output's dtype and shape, and rejects impossible graphs with a clear error.</summary>
    public required Func<InferenceContext, OutputSpec[]> Shape { get; init; }
    /// <summary>Produces different results on each run (random ops) or has side effects; never folded or deduplicated.</summary>
    public bool IsStateful { get; init; }
    /// <summary>Writes a variable; the scheduler runs such ops after every op that does not depend on them.</summary>
    public bool WritesVariable { get; init; }
    /// <summary>Inputs that name a variable rather than read its value (Assign's first input).</summary>
    public int[] RefInputs { get; init; } = [];

    /// <summary>
    /// Builds the gradient ops: given the op and the gradient of each of its outputs, the gradient of each input
    /// (null where none flows). Null here means no gradient is defined, an error if a path needs one;
    /// <see cref="Gradients.None"/> marks an op as not differentiable.
    /// </summary>
    public GradientFunction? Gradient { get => _gradient; init => _gradient = value; }
    private GradientFunction? _gradient;
    internal void SetGradient(GradientFunction? gradient) => _gradient = gradient;

    internal void ApplyDefaults(Dictionary<string, object> attrs)
    {
        foreach (var (k, v) in Attrs) attrs.TryAdd(k, v);
    }

    internal string InputName(int i)
    {
        if (i < InputNames.Length && !InputNames[i].EndsWith('*')) return InputNames[i];
        var list = Array.FindIndex(InputNames, n => n.EndsWith('*'));
        return list >= 0 && i >= list ? $"{InputNames[list].TrimEnd('*')}[{i - list}]" : $"input {i}";
    }

    internal OutputSpec[] InferOutputs(InferenceContext c) => Shape(c);
}

/// <summary>What a shape function sees: the op's inputs (dtype, static shape, constant value when known) and attributes.</summary>
public sealed class InferenceContext
{
    internal InferenceContext(Operation op) => Op = op;

    public Operation Op { get; }
    public int NumInputs => Op.inputs.Length;
    public Tensor Input(int i) => Op.inputs[i];
    public DataType InputType(int i) => Op.inputs[i].dtype;
    public TensorShape InputShape(int i) => Op.inputs[i].shape;
    public T Attr<T>(string name) => Op.get_attr<T>(name);
    public bool HasAttr(string name) => Op.Attrs.ContainsKey(name);

    /// <summary>An error that names the op, what was expected and given, and where the op was created.</summary>
    public InvalidArgumentException Error(string message) =>
        new($"{message}\n\tin op {Op.Describe()}") { Op = Op };

    /// <summary>The input's value when it is known at build time (a Const, or the Shape of a fully defined tensor).</summary>
    public TensorValue? ConstantValue(int i) => ConstantFolding.TryEvaluate(Op.inputs[i]);

    /// <summary>Checks that the listed inputs share one dtype, in TensorFlow's words when they do not.</summary>
    public DataType SameType(params int[] inputs)
    {
        var first = inputs.Length == 0 ? 0 : inputs[0];
        var t = InputType(first);
        foreach (var i in inputs)
            if (InputType(i) != t)
                throw Error($"Input '{Op.Def.InputName(i)}' of '{Op.type}' Op has type {InputType(i).Name()} that does not match type {t.Name()} of argument '{Op.Def.InputName(first)}'.");
        return t;
    }

    /// <summary>Checks an input's dtype against the allowed list.</summary>
    public DataType RequireType(int i, DataType[] allowed)
    {
        var t = InputType(i);
        if (Array.IndexOf(allowed, t) < 0)
            throw Error($"Value for input '{Op.Def.InputName(i)}' ({Input(i).name}) has dtype {t.Name()}, not in the list of allowed values: {string.Join(", ", allowed.Select(a => a.Name()))}.");
        return t;
    }

    /// <summary>Checks an input's rank when it is known.</summary>
    public void RequireRank(int i, int rank)
    {
        var s = InputShape(i);
        if (!s.IsUnknownRank && s.Rank != rank)
            throw Error($"Input '{Op.Def.InputName(i)}' ({Input(i).name}) must be rank {rank}, but has shape {s}.");
    }

    public OutputSpec[] One(DataType dtype, TensorShape shape) => [new(dtype, shape)];
}
