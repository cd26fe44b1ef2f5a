using System.Collections.Concurrent;

namespace DataflowNet;

/// <summary>
/// Runs a graph. Each distinct (fetches, feeds) signature is compiled once into a cached <see cref="Plan"/>;
/// variable values live here for the session's lifetime, so two sessions on one graph have separate values.
/// <c>run</c> may be called from several threads at once. Feeds are validated before any kernel runs, and
/// variable writes commit only when the whole run succeeds: a failed run changes no variable.
/// </summary>
public class Session : IDisposable
{
    private readonly ConcurrentDictionary<string, Plan> _plans = new();
    private readonly ConcurrentDictionary<Operation, PhiloxStream> _random = new();
    private volatile bool _disposed;

    internal VariableStore Variables { get; } = new();
    internal Device Device { get; } = CpuDevice.Instance;

    public Session(Graph? graph = null) => this.graph = graph ?? Graph.Default;

    public Graph graph { get; }

    // ---------- run overloads: Python's sess.run(fetches, feed_dict) ----------
    public TensorValue run(Tensor fetch, FeedDict? feed_dict = null) => Run([fetch], feed_dict)[0]!;
    public TensorValue run(Tensor fetch, params (Tensor, object)[] feeds) => Run([fetch], new FeedDict(feeds))[0]!;
    public void run(Operation op, FeedDict? feed_dict = null) => Run([op], feed_dict);
    public void run(Operation op, params (Tensor, object)[] feeds) => Run([op], new FeedDict(feeds));

    /// <summary>Several fetches: a value per Tensor, null per Operation.</summary>
    public TensorValue?[] run(IEnumerable<IFetchable> fetches, FeedDict? feed_dict = null) => Run(fetches.ToArray(), feed_dict);
    public TensorValue?[] run(IEnumerable<IFetchable> fetches, params (Tensor, object)[] feeds) => Run(fetches.ToArray(), new FeedDict(feeds));

    public (TensorValue?, TensorValue?) run((IFetchable, IFetchable) fetches, FeedDict? feed_dict = null)
    {
        var r = Run([fetches.Item1, fetches.Item2], feed_dict);
        return (r[0], r[1]);
    }
    public (TensorValue?, TensorValue?) run((IFetchable, IFetchable) fetches, params (Tensor, object)[] feeds) =>
        run(fetches, new FeedDict(feeds));

    public (TensorValue?, TensorValue?, TensorValue?) run((IFetchable, IFetchable, IFetchable) fetches, FeedDict? feed_dict = null)
    {
        var r = Run([fetches.Item1, fetches.Item2, fetches.Item3], feed_dict);
        return (r[0], r[1], r[2]);
    }
    public (TensorValue?, TensorValue?, TensorValue?) run((IFetchable, IFetchable, IFetchable) fetches, params (Tensor, object)[] feeds) =>
        run(fetches, new FeedDict(feeds));

    public (TensorValue?, TensorValue?, TensorValue?, TensorValue?) run((IFetchable, IFetchable, IFetchable, IFetchable) fetches, FeedDict? feed_dict = null)
    {
        var r = Run([fetches.Item1, fetches.Item2, fetches.Item3, fetches.Item4], feed_dict);
        return (r[0], r[1], r[2], r[3]);
    }
    public (TensorValue?, TensorValue?, TensorValue?, TensorValue?) run((IFetchable, IFetchable, IFetchable, IFetchable) fetches, params (Tensor, object)[] feeds) =>
        run(fetches, new FeedDict(feeds));

    // ---------- the one run path ----------
    private TensorValue?[] Run(IFetchable[] fetches, FeedDict? feedDict)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var f in fetches)
        {
            if (f is null) throw new InvalidArgumentException("Fetch argument is null.");
            if (f.graph != graph)
                throw new InvalidArgumentException($"Fetch argument {f} cannot be interpreted as a Tensor: it is not an element of this graph.");
        }
        var feeds = feedDict ?? new FeedDict();
        foreach (var (t, _) in feeds)
            if (t.graph != graph)
                throw new InvalidArgumentException($"Cannot interpret feed_dict key as Tensor: {t} is not an element of this graph.");

        var plan = _plans.GetOrAdd(PlanKey(fetches, feeds), _ => Plan.Build(graph, fetches, feeds.Select(kv => kv.Key).ToArray(), Device));

        // Validate and convert every feed before any kernel runs.
        var slots = new TensorValue?[plan.SlotCount];
        foreach (var (t, value) in feeds)
            slots[plan.FeedSlots[t]] = ConvertFeed(t, value);

        var state = new RunState(this);
        foreach (var step in plan.Steps) Execute(step, slots, state);
        state.Commit();
        graph.CountRun();

        var results = new TensorValue?[fetches.Length];
        for (int i = 0; i < fetches.Length; i++)
        {
            var slot = plan.FetchSlots[i];
            if (slot < 0) continue;
            results[i] = slots[slot] ?? throw RunState.Uninitialized(((Tensor)fetches[i]).op);
        }
        return results;
    }

    private static void Execute(Plan.Step step, TensorValue?[] slots, RunState state)
    {
        var op = step.Op;
        var inputs = new TensorValue?[step.InputSlots.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            var s = step.InputSlots[i];
            if (s == Plan.RefSlot) continue; // a variable reference: the kernel uses the variable itself, not its value
            inputs[i] = s == Plan.ReadVariableSlot
                ? state.ReadVariable(op.inputs[i].op) // the value now, after any update this op was ordered after
                : slots[s] ?? throw new DataflowException($"Internal error: input {i} of op {op.Describe()} was not computed.");
        }
        var ctx = new KernelContext(op, inputs, state);
        try
        {
            step.Kernel(ctx);
        }
        catch (DataflowException) { throw; }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new DataflowException($"Kernel for op {op.Describe()} failed: {e.Message}", e) { Op = op };
        }
        for (int j = 0; j < ctx.Outputs.Length; j++) slots[step.FirstOutputSlot + j] = ctx.Outputs[j];
    }

    private static TensorValue ConvertFeed(Tensor t, object value)
    {
        var what = $"Cannot feed the value for tensor '{t.name}' (created at {t.op.CreationSite})";
        var v = ValueConversion.FromObject(value, t.dtype, what);
        if (!t.shape.Accepts(v.Dims))
            throw new InvalidArgumentException($"Cannot feed value of shape {TensorShape.Format(v.Dims)} for Tensor '{t.name}', which has shape {t.shape} (created at {t.op.CreationSite}).") { Op = t.op };
        return v;
    }

    private static string PlanKey(IFetchable[] fetches, FeedDict feeds)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var f in fetches) sb.Append(f is Tensor t ? t.name : "^" + ((Operation)f).name).Append(',');
        sb.Append('|');
        foreach (var name in feeds.Select(kv => kv.Key.name).Order(StringComparer.Ordinal)) sb.Append(name).Append(',');
        return sb.ToString();
    }

    /// <summary>The random stream of one random op in this session: replayed identically by a new session.</summary>
    internal PhiloxStream RandomStream(Operation op, long seed, long seed2) =>
        _random.GetOrAdd(op, _ => seed == 0 && seed2 == 0
            ? new PhiloxStream(Random.Shared.NextInt64(), Random.Shared.NextInt64())
            : new PhiloxStream(seed, seed2));

    // ---------- default session ----------
    [ThreadStatic] private static List<Session>? _defaults;

    internal static Session? Default => _defaults is { Count: > 0 } d ? d[^1] : null;

    internal static Session DefaultOrThrow(string what) =>
        Default ?? throw new FailedPreconditionException($"{what} needs a default session: use an InteractiveSession, `using (sess.as_default())`, or pass the session.");

    /// <summary>Makes this the default session (for eval() and run()) until the scope is disposed.</summary>
    public IDisposable as_default()
    {
        (_defaults ??= new()).Add(this);
        var list = _defaults;
        return new Scope(() => list.Remove(this));
    }

    public void close() => Dispose();

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (_disposed) return;
        _disposed = true;
        _plans.Clear();
        _random.Clear();
        Variables.Clear();
        _defaults?.Remove(this);
    }

    private sealed class Scope(Action exit) : IDisposable
    {
        private Action? _exit = exit;
        public void Dispose() { _exit?.Invoke(); _exit = null; }
    }
}

/// <summary>A session that installs itself as the default, for scripts: <c>tensor.eval()</c> and <c>op.run()</c> then need no session argument.</summary>
public sealed class InteractiveSession : Session
{
    private readonly IDisposable _scope;
    public InteractiveSession(Graph? graph = null) : base(graph) => _scope = as_default();

    protected override void Dispose(bool disposing)
    {
        _scope.Dispose();
        base.Dispose(disposing);
    }
}
