using System.Collections.Concurrent;

namespace DataflowNet;

/// <summary>
/// A dataflow graph: operations and the tensors between them. Holds no values; a <see cref="Session"/> runs it.
/// Name scopes, device scopes, control-dependency scopes and collections live here, as in TensorFlow.
/// </summary>
public sealed class Graph
{
    private readonly List<Operation> _ops = new();
    private readonly Dictionary<string, Operation> _byName = new();
    private readonly Dictionary<string, int> _namesInUse = new();
    private readonly Dictionary<string, List<object>> _collections = new();
    private readonly List<string> _nameScopes = new();
    private readonly List<string> _deviceScopes = new();
    private readonly List<List<Operation>?> _controlScopes = new();
    private readonly object _gate = new();
    private bool _finalized;
    private int _runCount;
    private bool _warnedGrowth;

    /// <summary>Ops created after a session has run the graph this many times trigger a one-time warning.</summary>
    internal const int GrowthWarningRuns = 100;

    /// <summary>The graph-level seed set by <c>tf.set_random_seed</c>.</summary>
    public int? seed { get; set; }

    /// <summary>Increases with every op added; sessions key cached plans on it.</summary>
    public int Version { get; private set; }
    internal int LastId => _ops.Count;

    public IReadOnlyList<Operation> get_operations() { lock (_gate) return _ops.ToArray(); }
    public bool finalized => _finalized;
    public void finalize() => _finalized = true;

    // ---------- default graph (per thread, as in TensorFlow) ----------
    [ThreadStatic] private static List<Graph>? _defaultStack;
    [ThreadStatic] private static Graph? _threadDefault;

    internal static Graph Default
    {
        get
        {
            var stack = _defaultStack;
            if (stack is { Count: > 0 }) return stack[^1];
            return _threadDefault ??= new Graph();
        }
    }

    internal static void ResetDefault()
    {
        if (_defaultStack is { Count: > 0 })
            throw new InvalidOperationException("Do not use tf.reset_default_graph() inside a `using (graph.as_default())` block.");
        _threadDefault = new Graph();
    }

    /// <summary>Makes this the default graph of the current thread until the returned scope is disposed.</summary>
    public IDisposable as_default()
    {
        (_defaultStack ??= new()).Add(this);
        var stack = _defaultStack;
        return new Scope(() => stack.RemoveAt(stack.LastIndexOf(this)));
    }

    // ---------- scopes ----------
    internal string CurrentNameScope => _nameScopes.Count == 0 ? "" : _nameScopes[^1];

    /// <summary>Opens a name scope; the name is made unique (layer1, layer1_1…). A name ending in '/' is used as is.</summary>
    public NameScope name_scope(string? name)
    {
        string scope;
        if (string.IsNullOrEmpty(name)) scope = "";
        else if (name.EndsWith('/')) scope = name.TrimEnd('/');
        else scope = UniqueName(name);
        _nameScopes.Add(scope);
        return new NameScope(scope, () => _nameScopes.RemoveAt(_nameScopes.Count - 1));
    }

    public IDisposable device(string? deviceName)
    {
        _deviceScopes.Add(DeviceSpec.Normalize(deviceName));
        return new Scope(() => _deviceScopes.RemoveAt(_deviceScopes.Count - 1));
    }

    /// <summary>
    /// Ops created inside run after <paramref name="controlInputs"/>. Null clears the enclosing scopes and, as in
    /// TensorFlow, the enclosing tf.cond or tf.while_loop: what is created inside (a variable) belongs to no branch.
    /// </summary>
    public IDisposable control_dependencies(IEnumerable<object>? controlInputs)
    {
        if (controlInputs is null)
        {
            var flow = FlowContext;
            FlowContext = null;
            _controlScopes.Add(null);
            return new Scope(() => { _controlScopes.RemoveAt(_controlScopes.Count - 1); FlowContext = flow; });
        }
        List<Operation>? ops = null;
        if (controlInputs is not null)
        {
            ops = new();
            foreach (var c in controlInputs)
            {
                var op = c switch
                {
                    Operation o => o,
                    Tensor t => t.op,
                    _ => throw new InvalidArgumentException($"control_dependencies takes Operations and Tensors, not {c?.GetType().Name ?? "null"}."),
                };
                if (op.graph != this) throw new InvalidArgumentException($"Control input {op.name} is not an element of this graph.");
                ops.Add(op);
            }
        }
        _controlScopes.Add(ops);
        return new Scope(() => _controlScopes.RemoveAt(_controlScopes.Count - 1));
    }

    internal List<Operation> CurrentControlInputs()
    {
        var result = new List<Operation>();
        for (int i = _controlScopes.Count - 1; i >= 0; i--)
        {
            var scope = _controlScopes[i];
            if (scope is null) break; // control_dependencies(null) clears outer scopes
            foreach (var op in scope) if (!result.Contains(op)) result.Add(op);
        }
        return result;
    }

    /// <summary>A name not yet used in this graph: name, name_1, name_2…</summary>
    public string UniqueName(string name, bool markAsUsed = true)
    {
        var full = CurrentNameScope.Length == 0 ? name : CurrentNameScope + "/" + name;
        lock (_gate)
        {
            var key = full.ToLowerInvariant();
            _namesInUse.TryGetValue(key, out var count);
            var unique = full;
            if (count > 0)
            {
                var i = count;
                while (_namesInUse.ContainsKey((full + "_" + i).ToLowerInvariant())) i++;
                unique = full + "_" + i;
                if (markAsUsed) _namesInUse[(unique).ToLowerInvariant()] = 1;
            }
            if (markAsUsed) _namesInUse[key] = count + 1;
            return unique;
        }
    }

    /// <summary>Records a full op name taken as is (an imported node), so later ops get a unique name beside it.</summary>
    /// <summary>Whether an op of this exact name is in the graph.</summary>
    internal bool HasOperation(string name)
    {
        lock (_gate) return _byName.ContainsKey(name);
    }

    internal void MarkNameUsed(string fullName)
    {
        lock (_gate) _namesInUse.TryAdd(fullName.ToLowerInvariant(), 1);
    }

    // ---------- control-flow contexts (tf.cond branches, tf.while_loop bodies) ----------
    /// <summary>The branch or loop body being built, or null at the top level.</summary>
    internal ControlFlowContext? FlowContext { get; private set; }

    /// <summary>Builds ops in <paramref name="context"/> until the scope is disposed.</summary>
    internal IDisposable EnterFlowContext(ControlFlowContext? context)
    {
        var previous = FlowContext;
        FlowContext = context;
        return new Scope(() => FlowContext = previous);
    }

    // ---------- op creation ----------
    /// <summary>
    /// Adds one op: looks up its definition, runs its shape function (so an impossible graph fails here, at build
    /// time), and applies the current name, device and control-dependency scopes.
    /// </summary>
    internal Operation CreateOp(string type, Tensor[] inputs, Dictionary<string, object>? attrs = null,
                                string? name = null, IEnumerable<Operation>? controlInputs = null)
    {
        if (_finalized)
            throw new FailedPreconditionException($"Graph is finalized and cannot be modified (while creating a '{type}' op).");
        var def = OpRegistry.Get(type);
        foreach (var t in inputs)
            if (t.graph != this)
                throw new InvalidArgumentException($"Tensor {t.name} must be from the same graph as the other inputs of the '{type}' op being created.");

        var site = CreationSite.Capture();
        // A name ending in '/' is taken as is (a scope's own op, such as a variable named after its scope).
        var opName = name is not null && name.EndsWith('/') ? name.TrimEnd('/') : UniqueName(string.IsNullOrEmpty(name) ? type : name);
        lock (_gate)
            if (_byName.ContainsKey(opName))
                throw new InvalidArgumentException($"An op named '{opName}' already exists in the graph.");
        var controls = CurrentControlInputs();
        if (controlInputs is not null)
            foreach (var c in controlInputs) if (!controls.Contains(c)) controls.Add(c);
        attrs ??= new();
        def.ApplyDefaults(attrs);
        var device = _deviceScopes.Count == 0 ? "" : _deviceScopes[^1];
        var context = FlowContext;
        // Inside a branch or loop body, values from outside come in through a Switch or an Enter.
        if (context is not null) inputs = context.AddOp(def, inputs, controls, type);

        var op = new Operation(this, def, opName, inputs, controls.ToArray(), attrs, device, site) { FlowContext = context };
        var specs = def.InferOutputs(new InferenceContext(op));
        op.SetOutputs(specs);

        lock (_gate)
        {
            op.Id = _ops.Count;
            _ops.Add(op);
            _byName[opName] = op;
            Version++;
        }
        if (!_warnedGrowth && Volatile.Read(ref _runCount) >= GrowthWarningRuns)
        {
            _warnedGrowth = true;
            Log.Warning($"Op '{opName}' ({type}) was added to a graph that a session has already run {_runCount} times. " +
                        $"Building ops inside a training loop grows the graph without bound; build them once, before the loop. (created at {site})");
        }
        return op;
    }

    internal void CountRun() => Interlocked.Increment(ref _runCount);

    public Operation get_operation_by_name(string name)
    {
        lock (_gate)
            return _byName.TryGetValue(name, out var op) ? op
                : throw new NotFoundException($"The name '{name}' refers to an Operation not in the graph.");
    }

    public Tensor get_tensor_by_name(string name)
    {
        var colon = name.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(name.AsSpan(colon + 1), out var index))
            throw new InvalidArgumentException($"The name '{name}' looks like an Operation name, not a Tensor name (expected 'op_name:output_index').");
        var op = get_operation_by_name(name[..colon]);
        if (index < 0 || index >= op.outputs.Length)
            throw new NotFoundException($"The name '{name}' refers to a Tensor which does not exist: operation '{op.name}' has {op.outputs.Length} outputs.");
        return op.outputs[index];
    }

    // ---------- collections ----------
    public void add_to_collection(string key, object value)
    {
        lock (_gate)
        {
            if (!_collections.TryGetValue(key, out var list)) _collections[key] = list = new();
            list.Add(value);
        }
    }

    public List<object> get_collection(string key)
    {
        lock (_gate) return _collections.TryGetValue(key, out var list) ? new(list) : new();
    }

    public List<T> get_collection<T>(string key) => get_collection(key).OfType<T>().ToList();
    public IReadOnlyCollection<string> get_all_collection_keys() { lock (_gate) return _collections.Keys.ToArray(); }

    private sealed class Scope(Action exit) : IDisposable
    {
        private Action? _exit = exit;
        public void Dispose() { _exit?.Invoke(); _exit = null; }
    }
}

/// <summary>An open name scope; <see cref="Name"/> is its unique full name ("layer1", "layer1_1"…).</summary>
/// <summary>
/// An open name scope. <see cref="Name"/> is TensorFlow's scope string, with its trailing '/' ("layer1/"; "" at
/// the top level): passed as an op's name it names the op exactly that (TensorFlow's
/// <c>with tf.name_scope(...) as scope: tf.identity(x, name=scope)</c>).
/// </summary>
public sealed class NameScope(string path, Action exit) : IDisposable
{
    private Action? _exit = exit;
    public string Name => Path.Length == 0 ? "" : Path + "/";
    /// <summary>The scope's full path without the trailing '/': "outer/layer1".</summary>
    internal string Path { get; } = path;
    public void Dispose() { _exit?.Invoke(); _exit = null; }
    public override string ToString() => Name;
}

/// <summary>Standard collection names, as TensorFlow's tf.GraphKeys.</summary>
public static class GraphKeys
{
    public const string GLOBAL_VARIABLES = "variables";
    public const string TRAINABLE_VARIABLES = "trainable_variables";
    public const string LOCAL_VARIABLES = "local_variables";
    public const string UPDATE_OPS = "update_ops";
    public const string LOSSES = "losses";
    public const string SUMMARIES = "summaries";
    public const string TRAIN_OP = "train_op";
    public const string GLOBAL_STEP = "global_step";
}

/// <summary>Where the runtime reports warnings. Replace <see cref="Writer"/> to capture them.</summary>
public static class Log
{
    public static TextWriter Writer { get; set; } = Console.Error;
    public static void Warning(string message) => Writer.WriteLine("WARNING: " + message);
}
