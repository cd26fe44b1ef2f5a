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
    private readonly ConcurrentDictionary<Operation, PhiloxStream> _random = new();
    private volatile bool _disposed;

    internal VariableStore Variables { get; } = new();
    /// <summary>The devices this session places ops on, GPUs first.</summary>
    internal IReadOnlyList<Device> Devices { get; }

    public Session(Graph? graph = null, ConfigProto? config = null)
    {
        this.graph = graph ?? Graph.Default;
        this.config = config ?? new ConfigProto();
        var devices = this.config.Devices is { Count: > 0 } chosen ? [.. chosen.Where(d => d is not CpuDevice), CpuDevice.Instance] : LocalDevices.For(this.config.GpuOptions);
        Devices = this.config.DeviceCount is { } counts ? Limit(devices, counts) : devices;
    }

    /// <summary>The first devices of each type up to its count in <paramref name="counts"/> (types not named are all kept; the CPU always).</summary>
    private static IReadOnlyList<Device> Limit(IReadOnlyList<Device> devices, IReadOnlyDictionary<string, int> counts)
    {
        foreach (var (type, count) in counts)
            if (count < 0) throw new InvalidArgumentException($"ConfigProto.DeviceCount[\"{type}\"] must be at least 0, got {count}.");
        var kept = new List<Device>();
        foreach (var device in devices)
        {
            int limit = counts.TryGetValue(device.DeviceType, out var n) ? n : int.MaxValue;
            if (device is CpuDevice || kept.Count(d => d.DeviceType == device.DeviceType) < limit) kept.Add(device);
        }
        return kept;
    }

    /// <summary>The options this session was created with.</summary>
    public ConfigProto config { get; }

    public Graph graph { get; }

    // ---------- run overloads: Python's sess.run(fetches, feed_dict) ----------
    public TensorValue run(Tensor fetch, FeedDict? feed_dict = null)
    {
        TensorValue? result = null;
        RunWithFeedDict([fetch], feed_dict, new Span<TensorValue?>(ref result));
        return result!;
    }

    public TensorValue run(Tensor fetch, params ReadOnlySpan<(Tensor, object)> feeds)
    {
        TensorValue? result = null;
        RunCore([fetch], feeds, new Span<TensorValue?>(ref result));
        return result!;
    }

    public void run(Operation op, FeedDict? feed_dict = null) => RunWithFeedDict([op], feed_dict, default);
    public void run(Operation op, params ReadOnlySpan<(Tensor, object)> feeds) => RunCore([op], feeds, default);

    /// <summary>Several fetches: a value per Tensor, null per Operation.</summary>
    public TensorValue?[] run(IEnumerable<IFetchable> fetches, FeedDict? feed_dict = null)
    {
        var list = fetches.ToArray();
        var results = new TensorValue?[list.Length];
        RunWithFeedDict(list, feed_dict, results);
        return results;
    }

    public TensorValue?[] run(IEnumerable<IFetchable> fetches, params ReadOnlySpan<(Tensor, object)> feeds)
    {
        var list = fetches.ToArray();
        var results = new TensorValue?[list.Length];
        RunCore(list, feeds, results);
        return results;
    }

    public (TensorValue?, TensorValue?) run((IFetchable, IFetchable) fetches, FeedDict? feed_dict = null)
    {
        var r = new TensorValue?[2];
        RunWithFeedDict([fetches.Item1, fetches.Item2], feed_dict, r);
        return (r[0], r[1]);
    }
    public (TensorValue?, TensorValue?) run((IFetchable, IFetchable) fetches, params ReadOnlySpan<(Tensor, object)> feeds)
    {
        var r = new TensorValue?[2];
        RunCore([fetches.Item1, fetches.Item2], feeds, r);
        return (r[0], r[1]);
    }

    public (TensorValue?, TensorValue?, TensorValue?) run((IFetchable, IFetchable, IFetchable) fetches, FeedDict? feed_dict = null)
    {
        var r = new TensorValue?[3];
        RunWithFeedDict([fetches.Item1, fetches.Item2, fetches.Item3], feed_dict, r);
        return (r[0], r[1], r[2]);
    }
    public (TensorValue?, TensorValue?, TensorValue?) run((IFetchable, IFetchable, IFetchable) fetches, params ReadOnlySpan<(Tensor, object)> feeds)
    {
        var r = new TensorValue?[3];
        RunCore([fetches.Item1, fetches.Item2, fetches.Item3], feeds, r);
        return (r[0], r[1], r[2]);
    }

    public (TensorValue?, TensorValue?, TensorValue?, TensorValue?) run((IFetchable, IFetchable, IFetchable, IFetchable) fetches, FeedDict? feed_dict = null)
    {
        var r = new TensorValue?[4];
        RunWithFeedDict([fetches.Item1, fetches.Item2, fetches.Item3, fetches.Item4], feed_dict, r);
        return (r[0], r[1], r[2], r[3]);
    }
    public (TensorValue?, TensorValue?, TensorValue?, TensorValue?) run((IFetchable, IFetchable, IFetchable, IFetchable) fetches, params ReadOnlySpan<(Tensor, object)> feeds)
    {
        var r = new TensorValue?[4];
        RunCore([fetches.Item1, fetches.Item2, fetches.Item3, fetches.Item4], feeds, r);
        return (r[0], r[1], r[2], r[3]);
    }

    // ---------- the one run path ----------
    [ThreadStatic] private static (Tensor, object)[]? _feedScratch;

    private void RunWithFeedDict(ReadOnlySpan<IFetchable> fetches, FeedDict? feedDict, Span<TensorValue?> results)
    {
        if (feedDict is null || feedDict.Count == 0) { RunCore(fetches, default, results); return; }
        // Copy the dictionary into a reused per-thread buffer, so a FeedDict kept across steps allocates nothing.
        var scratch = _feedScratch is { } s && s.Length >= feedDict.Count ? s : _feedScratch = new (Tensor, object)[Math.Max(8, feedDict.Count)];
        int n = 0;
        foreach (var (t, v) in feedDict.Items) scratch[n++] = (t, v);
        try { RunCore(fetches, scratch.AsSpan(0, n), results); }
        finally { Array.Clear(scratch, 0, n); }
    }

    private void RunCore(ReadOnlySpan<IFetchable> fetches, ReadOnlySpan<(Tensor, object)> feeds, Span<TensorValue?> results)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var f in fetches)
        {
            if (f is null) throw new InvalidArgumentException("Fetch argument is null.");
            if (f.graph != graph)
                throw new InvalidArgumentException($"Fetch argument {f} cannot be interpreted as a Tensor: it is not an element of this graph.");
        }
        for (int i = 0; i < feeds.Length; i++)
        {
            var t = feeds[i].Item1 ?? throw new InvalidArgumentException("A feed_dict key is null.");
            if (t.graph != graph)
                throw new InvalidArgumentException($"Cannot interpret feed_dict key as Tensor: {t} is not an element of this graph.");
            if (feeds[i].Item2 is null) throw new InvalidArgumentException($"The value fed for {t.name} is null.");
            for (int j = 0; j < i; j++)
                if (feeds[j].Item1.Equals(t)) throw new InvalidArgumentException($"Tensor {t.name} is fed twice.");
        }

        var plan = FindPlan(fetches, feeds);
        var frame = plan.RentFrame(this);
        var slots = frame.Slots;
        try
        {
            // Validate and convert every feed before any kernel runs.
            foreach (var (t, value) in feeds)
            {
                var slot = plan.FeedSlots[t];
                slots[slot] = ConvertFeed(t, value, frame, slot);
            }
            if (plan.ControlFlow is { } flow) ControlFlowExecutor.Run(plan, flow, frame);
            else
            {
                var steps = plan.Steps;
                for (int i = 0; i < steps.Length; i++) Execute(steps[i], frame.Contexts[i], slots);
            }
            foreach (var device in plan.AsyncDevices) WaitFor(device);
            for (int i = 0; i < fetches.Length; i++)
            {
                var slot = plan.FetchSlots[i];
                if (slot < 0) continue;
                var value = slots[slot] ?? throw RunState.Uninitialized(((Tensor)fetches[i]).op);
                results[i] = Frame.Release(value);
            }
            frame.State.Commit();
        }
        catch
        {
            // Kernels this run queued before failing finish before its frame is reused (a fault of theirs stays here).
            foreach (var device in plan.AsyncDevices)
                try { device.Synchronize(); } catch (Exception e) when (e is not OutOfMemoryException) { }
            frame.State.Discard();
            throw;
        }
        finally
        {
            Array.Clear(slots);
            plan.ReturnFrame(frame);
        }
        graph.CountRun();
    }

    private Plan[] _planList = [];
    /// <summary>The plans built so far, for tests that check what a plan fused.</summary>
    internal IReadOnlyList<Plan> Plans => _planList;
    private readonly object _planGate = new();

    /// <summary>The cached plan for this signature (a scan that allocates nothing), built on first use.</summary>
    private Plan FindPlan(ReadOnlySpan<IFetchable> fetches, ReadOnlySpan<(Tensor, object)> feeds)
    {
        foreach (var p in Volatile.Read(ref _planList))
            if (p.Matches(fetches, feeds)) return p;
        var fetchArray = fetches.ToArray();
        var feedTensors = new Tensor[feeds.Length];
        for (int i = 0; i < feeds.Length; i++) feedTensors[i] = feeds[i].Item1;
        var plan = Plan.Build(graph, fetchArray, feedTensors, Devices, config, Variables);
        lock (_planGate)
        {
            foreach (var p in _planList)
                if (p.Matches(fetches, feeds)) return p;
            _planList = [.. _planList, plan];
        }
        return plan;
    }

    private static void Execute(Plan.Step step, KernelContext ctx, TensorValue?[] slots)
    {
        RunKernel(step, ctx, slots);
        var outputs = ctx.Outputs;
        for (int j = 0; j < outputs.Length; j++) slots[step.FirstOutputSlot + j] = outputs[j];
    }

    /// <summary>Waits for a device's queued kernels; a fault they hit is this run's error (and nothing commits).</summary>
    private static void WaitFor(Device device)
    {
        try { device.Synchronize(); }
        catch (Exception e) when (e is not (DataflowException or OutOfMemoryException))
        {
            throw new DataflowException($"A kernel queued on {device.Name} by this run failed: {e.Message}", e);
        }
    }

    /// <summary>Runs one step's kernel on its inputs from <paramref name="slots"/>; the outputs are left in <c>ctx.Outputs</c>.</summary>
    internal static void RunKernel(Plan.Step step, KernelContext ctx, TensorValue?[] slots)
    {
        var op = step.Op;
        var inputs = ctx.Inputs;
        var state = ctx.Run;
        for (int i = 0; i < inputs.Length; i++)
        {
            var s = step.InputSlots[i];
            inputs[i] = s switch
            {
                Plan.RefSlot => null, // a variable reference: the kernel uses the variable itself, not its value
                Plan.ReadVariableSlot => state.ReadVariable(step.Cells[i]!), // the value now, after any update this op was ordered after
                _ => slots[s] ?? throw new DataflowException($"Internal error: input {i} of op {op.Describe()} was not computed."),
            };
        }
        Array.Clear(ctx.Outputs);
        try
        {
            step.Kernel(ctx);
        }
        catch (DataflowException) { throw; }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new DataflowException($"Kernel for op {op.Describe()} failed: {e.Message}", e) { Op = op };
        }
        finally
        {
            Array.Clear(inputs);
        }
    }

    /// <summary>A fed value in the placeholder's dtype: used as is when it already is one, else converted (into a reused buffer when possible).</summary>
    private static TensorValue ConvertFeed(Tensor t, object value, Frame frame, int slot)
    {
        if (value is TensorValue { IsDisposed: true })
            throw new ObjectDisposedException(nameof(TensorValue), $"The value fed for tensor '{t.name}' (created at {t.op.CreationSite}) was disposed.");
        var v = value as TensorValue is { } tv && tv.dtype == t.dtype ? tv
            : ValueConversion.TryCopyInto(value, t.dtype, frame, slot)
              ?? ValueConversion.FromObject(value, t.dtype, $"Cannot feed the value for tensor '{t.name}' (created at {t.op.CreationSite})");
        if (!t.shape.Accepts(v.Dims))
            throw new InvalidArgumentException($"Cannot feed value of shape {TensorShape.Format(v.Dims)} for Tensor '{t.name}', which has shape {t.shape} (created at {t.op.CreationSite}).") { Op = t.op };
        return v;
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
        _planList = [];
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
    public InteractiveSession(Graph? graph = null, ConfigProto? config = null) : base(graph, config) => _scope = as_default();

    protected override void Dispose(bool disposing)
    {
        _scope.Dispose();
        base.Dispose(disposing);
    }
}
