namespace DataflowNet;

/// <summary>
/// A tensor whose value persists across runs of a session, as TensorFlow 1's tf.Variable: a VariableV2 op that
/// holds the value, an Assign initializer, and a 'read' snapshot. A Variable is a <see cref="Tensor"/> (its read
/// value), so it works wherever a tensor does, operators included.
/// </summary>
public sealed class Variable : Tensor
{
    private Variable(Operation variableOp, Tensor read, Operation initializer, Tensor initialValue, bool trainable)
        : base(read.op, read.value_index, read.dtype, read.shape)
    {
        this.op = variableOp;
        this.initializer = initializer;
        initial_value = initialValue;
        this.trainable = trainable;
    }

    /// <summary>The VariableV2 op that holds the value.</summary>
    public new Operation op { get; }
    /// <summary>The variable's own name, "weights:0".</summary>
    public new string name => op.name + ":0";
    /// <summary>The Assign op that sets the initial value.</summary>
    public Operation initializer { get; }
    public Tensor initial_value { get; }
    public bool trainable { get; }
    /// <summary>The reference the update ops write through.</summary>
    internal Tensor Ref => op.outputs[0];

    /// <summary>The snapshot used when the variable is read as a tensor.</summary>
    public Tensor value() => new Tensor(base.op, value_index, dtype, shape);

    /// <summary>A fresh read (an Identity op), ordered after the surrounding control dependencies.</summary>
    public Tensor read_value() => graph.CreateOp("Identity", [Ref], name: "read").outputs[0];

    public Tensor assign(TensorLike value, string? name = null) =>
        graph.CreateOp("Assign", [Ref, value.ToTensor(dtype, "value")], name: name ?? "Assign").outputs[0];

    public Tensor assign_add(TensorLike delta, string? name = null) =>
        graph.CreateOp("AssignAdd", [Ref, delta.ToTensor(dtype, "delta")], name: name ?? "AssignAdd").outputs[0];

    public Tensor assign_sub(TensorLike delta, string? name = null) =>
        graph.CreateOp("AssignSub", [Ref, delta.ToTensor(dtype, "delta")], name: name ?? "AssignSub").outputs[0];

    internal static Variable Create(TensorLike initialValue, bool trainable, string? name, DataType? dtype, bool validateShape)
    {
        var graph = initialValue.Graph ?? Graph.Default;
        using var noControl = graph.control_dependencies(null); // variables never wait on the surrounding scope
        using var scope = graph.name_scope(string.IsNullOrEmpty(name) ? "Variable" : name); // "" as TF: the default name
        Tensor init;
        using (graph.name_scope("initial_value")) init = initialValue.ToTensor(dtype, "initial_value");
        if (init.op.FlowContext is not null)
            throw new InvalidArgumentException($"Initializer for variable {scope.Path} is from inside a control-flow construct ({init.name}), such as a loop or conditional. " +
                "Create the variable's initial value outside the tf.cond or tf.while_loop (a literal or a tensor built outside it).") { Op = init.op };
        if (dtype is not null && init.dtype != dtype)
            init = tf.cast(init, dtype.Value);
        var shape = validateShape ? init.shape : TensorShape.Unknown;
        if (validateShape && !shape.IsFullyDefined)
            throw new InvalidArgumentException($"initial_value must have a fully defined shape, got {shape} from {init.name}; pass validate_shape: false to allow it.");
        var variableOp = graph.CreateOp("VariableV2", [], new() { ["shape"] = shape, ["dtype"] = init.dtype }, name: scope.Name);
        var assign = graph.CreateOp("Assign", [variableOp.outputs[0], init], new() { ["validate_shape"] = validateShape }, name: "Assign");
        var read = graph.CreateOp("Identity", [variableOp.outputs[0]], name: "read").outputs[0];
        var v = new Variable(variableOp, read, assign, init, trainable);
        graph.add_to_collection(GraphKeys.GLOBAL_VARIABLES, v);
        if (trainable) graph.add_to_collection(GraphKeys.TRAINABLE_VARIABLES, v);
        return v;
    }

    /// <summary>
    /// The Variable over ops already in a graph (an imported MetaGraphDef's VariableDef): the VariableV2 op, its
    /// initializer, its read snapshot and, when known, its initial value.
    /// </summary>
    internal static Variable FromGraph(Operation variableOp, Operation initializer, Tensor snapshot, Tensor? initialValue, bool trainable)
    {
        if (variableOp.type != "VariableV2")
            throw new InvalidArgumentException($"Op '{variableOp.name}' is a {variableOp.type}, not a VariableV2; it cannot back a tf.Variable.");
        return new Variable(variableOp, snapshot, initializer, initialValue ?? snapshot, trainable);
    }

    public override string ToString() => $"<tf.Variable '{name}' shape={shape} dtype={dtype.Name()}>";
}
