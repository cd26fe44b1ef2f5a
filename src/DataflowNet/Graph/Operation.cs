namespace DataflowNet;

/// <summary>Something <c>Session.run</c> can fetch: a <see cref="Tensor"/> (gives its value) or an <see cref="Operation"/> (runs it).</summary>
public interface IFetchable
{
    Graph graph { get; }
}

/// <summary>
/// A node of the graph: an op type with inputs, control inputs, attributes, a device and outputs. Immutable once
/// created, so a session can analyse it once and cache the plan.
/// </summary>
public sealed class Operation : IFetchable
{
    internal Operation(Graph graph, OpDef def, string name, Tensor[] inputs, Operation[] controlInputs,
                       Dictionary<string, object> attrs, string device, string creationSite)
    {
        this.graph = graph;
        Def = def;
        this.name = name;
        this.inputs = inputs;
        control_inputs = controlInputs;
        Attrs = attrs;
        this.device = device;
        CreationSite = creationSite;
        outputs = Array.Empty<Tensor>();
    }

    public Graph graph { get; }
    public string name { get; }
    public string type => Def.Type;
    public Tensor[] inputs { get; }
    public Operation[] control_inputs { get; }
    public Tensor[] outputs { get; private set; }
    public string device { get; internal set; }
    /// <summary>File and line of the user code that created this op.</summary>
    public string CreationSite { get; }
    internal OpDef Def { get; }
    internal Dictionary<string, object> Attrs { get; }
    /// <summary>Position in its graph; stable, used to index per-op tables.</summary>
    internal int Id { get; set; }
    /// <summary>The tf.cond branch or tf.while_loop body this op was built in; null at the top level.</summary>
    internal ControlFlowContext? FlowContext { get; init; }
    /// <summary>For the Merge that ends a tf.cond: the cond's predicate, which its gradient switches on.</summary>
    internal Tensor? CondPredicate { get; set; }

    internal void SetOutputs(OutputSpec[] specs)
    {
        var outs = new Tensor[specs.Length];
        for (int i = 0; i < specs.Length; i++) outs[i] = new Tensor(this, i, specs[i].DType, specs[i].Shape);
        outputs = outs;
    }

    public T get_attr<T>(string attrName) => (T)get_attr(attrName);

    public object get_attr(string attrName) =>
        Attrs.TryGetValue(attrName, out var v) ? v
            : throw new InvalidArgumentException($"Operation '{name}' ({type}) has no attribute named '{attrName}'.");

    internal bool TryGetAttr<T>(string attrName, out T value)
    {
        if (Attrs.TryGetValue(attrName, out var v) && v is T t) { value = t; return true; }
        value = default!;
        return false;
    }

    /// <summary>Runs this op in the default session (scripts and InteractiveSession).</summary>
    public void run(FeedDict? feed_dict = null, Session? session = null) =>
        (session ?? Session.DefaultOrThrow("Operation.run()")).run(this, feed_dict);

    /// <summary>"'name' (Type) created at file:line", the way errors point at ops.</summary>
    internal string Describe() => $"'{name}' ({type}, created at {CreationSite})";

    public override string ToString() => $"<Operation '{name}' type={type}>";
}
