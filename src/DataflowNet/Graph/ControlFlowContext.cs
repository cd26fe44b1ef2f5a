namespace DataflowNet;

/// <summary>
/// The scope a tf.cond branch or a tf.while_loop body is built in, as TensorFlow 1's CondContext and WhileContext.
/// Every op created inside records its context; a value from outside is brought in once (a Switch for a branch, so it
/// is dead when the branch is not taken; an Enter for a loop, so it reaches every iteration), and an op with no
/// inputs (or, in a loop, only loop constants) gets a control input from the context's pivot, so it too runs only when
/// the branch or iteration does.
/// </summary>
internal abstract class ControlFlowContext
{
    private readonly Dictionary<Tensor, Tensor> _imported = new();

    protected ControlFlowContext(Graph graph)
    {
        Graph = graph;
        Outer = graph.FlowContext;
    }

    public Graph Graph { get; }
    /// <summary>The context this one was built in (a cond inside a loop body…); null at the top level.</summary>
    public ControlFlowContext? Outer { get; }
    /// <summary>The op that ops without inputs depend on, so that they live and die with the context.</summary>
    public abstract Operation Pivot { get; }
    /// <summary>Names the construct in messages: "tf.cond branch 'cond'".</summary>
    public abstract string Describe();

    /// <summary>Whether <paramref name="op"/> was built in this context or in one nested in it.</summary>
    public bool Contains(Operation op)
    {
        for (var c = op.FlowContext; c is not null; c = c.Outer)
            if (c == this) return true;
        return false;
    }

    private bool IsInsideOf(ControlFlowContext? other)
    {
        if (other is null) return true;
        for (var c = this; c is not null; c = c.Outer)
            if (c == other) return true;
        return false;
    }

    /// <summary>The op's inputs as seen from inside this context (external values imported); may add a pivot control input.</summary>
    public Tensor[] AddOp(OpDef def, Tensor[] inputs, List<Operation> controls, string type)
    {
        // An Enter takes its input from the frame outside, an Exit from the frame inside: both cross on purpose.
        if (type is "Enter" or "Exit") return inputs;
        var result = new Tensor[inputs.Length];
        bool hasData = false;
        for (int i = 0; i < inputs.Length; i++)
        {
            // A variable reference (Assign's 'ref') names the variable itself, which lives outside every frame. So does
            // a read of it (read_value()'s Identity): the op reads the variable when it runs, as TensorFlow's RefSwitch
            // and RefEnter forward the reference; imported through a Switch or Enter it would be read when that ran,
            // before any update inside the branch or iteration. The pivot ties it to the branch or iteration.
            if (Array.IndexOf(def.RefInputs, i) >= 0 || inputs[i].op.type == "VariableV2") { result[i] = inputs[i]; continue; }
            result[i] = AddValue(inputs[i]);
            hasData |= Live(result[i]);
        }
        foreach (var c in controls)
            if (c.FlowContext is { } cc && !IsInsideOf(cc))
                throw new InvalidArgumentException($"A '{type}' op built in the {Describe()} cannot depend on op '{c.name}', which was built in the {cc.Describe()}.");
        CheckControls(controls, type);
        if (!hasData && !controls.Contains(Pivot)) controls.Add(Pivot);
        return result;
    }

    /// <summary>
    /// Whether an input ties an op to the branch or iteration it is built in. A loop constant (an Enter with
    /// is_constant) reaches every iteration, including the one whose condition is false: an op that reads nothing else
    /// needs the pivot too, or it would run there and feed the next iteration (an endless loop).
    /// </summary>
    protected virtual bool Live(Tensor input) => true;

    /// <summary>Checks the control inputs of an op built here (a loop rejects those from outside its frame).</summary>
    protected virtual void CheckControls(List<Operation> controls, string type) { }

    /// <summary>The tensor as seen from inside this context: itself when built here, else imported once.</summary>
    public Tensor AddValue(Tensor t)
    {
        if (Contains(t.op)) return t;
        if (t.op.FlowContext is { } owner && !IsInsideOf(owner))
            throw new InvalidArgumentException(
                $"Tensor {t.name} was built in the {owner.Describe()} and cannot be used in the {Describe()}: " +
                "a value leaves a branch only through tf.cond's result, and a loop only through tf.while_loop's.");
        if (_imported.TryGetValue(t, out var imported)) return imported;
        imported = Import(Outer is null ? t : Outer.AddValue(t));
        _imported[t] = imported;
        _imported[imported] = imported;
        return imported;
    }

    /// <summary>Creates the op that brings <paramref name="outer"/> (a value of the outer context) in.</summary>
    protected abstract Tensor Import(Tensor outer);
}

/// <summary>One branch of a tf.cond: external values pass through Switch(value, pred), taking the branch's output.</summary>
internal sealed class CondContext(Graph graph, Tensor pred, Tensor pivot, int branch) : ControlFlowContext(graph)
{
    public Tensor Pred { get; } = pred;
    public int Branch { get; } = branch;
    public override Operation Pivot { get; } = pivot.op;
    public override string Describe() => $"{(Branch == 1 ? "true" : "false")} branch of tf.cond '{Pivot.name[..Math.Max(0, Pivot.name.LastIndexOf('/'))]}'";

    protected override Tensor Import(Tensor outer)
    {
        // The Switch belongs to the outer context: it runs whether or not the branch is taken.
        using (Graph.EnterFlowContext(Outer))
            return Graph.CreateOp("Switch", [outer, Pred], name: "Switch").outputs[Branch];
    }
}

/// <summary>
/// A tf.while_loop's frame: external values enter as loop constants (Enter with is_constant), visible to every
/// iteration. The pivot is the first loop variable's Merge while the condition is built and its Identity while the
/// body is.
/// </summary>
internal sealed class WhileContext(Graph graph, string frameName, int parallelIterations) : ControlFlowContext(graph)
{
    public string FrameName { get; } = frameName;
    public int ParallelIterations { get; } = parallelIterations;
    public Operation? CurrentPivot { get; set; }
    public override Operation Pivot => CurrentPivot ?? throw new InvalidOperationException("The while loop has no pivot yet.");
    public override string Describe() => $"body of tf.while_loop '{FrameName[..Math.Max(0, FrameName.LastIndexOf('/'))]}'";

    protected override Tensor Import(Tensor outer) => Enter(outer, isConstant: true);

    protected override bool Live(Tensor input) =>
        !(input.op.type == "Enter" && input.op.FlowContext == this && input.op.get_attr<bool>("is_constant"));

    /// <summary>An Enter into this frame, built in this context (so values inside need no further import).</summary>
    public Tensor Enter(Tensor value, bool isConstant)
    {
        using (Graph.EnterFlowContext(this))
            return Graph.CreateOp("Enter", [value], new() { ["frame_name"] = FrameName, ["is_constant"] = isConstant, ["parallel_iterations"] = ParallelIterations }, name: "Enter").outputs[0];
    }

    protected override void CheckControls(List<Operation> controls, string type)
    {
        // A control edge cannot cross into a frame: the op would wait in every iteration for a signal sent once.
        foreach (var c in controls)
            if (!Contains(c))
                throw new InvalidArgumentException(
                    $"A '{type}' op built in the {Describe()} has a control dependency on '{c.name}', built outside the loop. " +
                    "Control dependencies cannot cross into a loop; take the dependency outside tf.while_loop or pass the value in as a loop variable.");
    }
}
