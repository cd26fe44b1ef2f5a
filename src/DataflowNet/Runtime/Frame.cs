namespace DataflowNet;

/// <summary>
/// The reusable working memory of one plan: a value slot per tensor, a kernel context per step, and a cache of
/// output buffers kept from run to run. A warm run of a plan allocates nothing: each kernel gets back the buffer it
/// wrote last time. A buffer handed to the user by a fetch is detached from the cache first.
/// </summary>
internal sealed class Frame
{
    public readonly TensorValue?[] Slots;
    public readonly KernelContext[] Contexts;
    public readonly RunState State;
    private readonly TensorValue?[] _cache;
    private readonly bool _reuse;

    public Frame(Plan plan, Session session)
    {
        Slots = new TensorValue?[plan.SlotCount];
        _cache = new TensorValue?[plan.SlotCount];
        State = new RunState(session);
        _reuse = plan.ControlFlow is null;
        Contexts = plan.Steps.Select(s => new KernelContext(s.Op, this, s.FirstOutputSlot, s.Cells, s.InputSlots.Length) { SelfCell = s.SelfCell }).ToArray();
    }

    /// <summary>The cached buffer of <paramref name="slot"/> when it fits (reused: true), else a new one that replaces it.</summary>
    public (TensorValue Value, bool Reused) Output(int slot, DataType dtype, ReadOnlySpan<int> dims, bool zeroed = true)
    {
        var cached = _cache[slot];
        if (cached is not null && cached.dtype == dtype && cached.Dims.AsSpan().SequenceEqual(dims)) return (cached, true);
        // Under control flow a step runs once per iteration and earlier values stay in use: no reuse.
        if (!_reuse) return (zeroed ? TensorValue.Allocate(dtype, dims.ToArray()) : TensorValue.AllocateUninitialized(dtype, dims.ToArray()), false);
        var fresh = zeroed ? TensorValue.Allocate(dtype, dims.ToArray()) : TensorValue.AllocateUninitialized(dtype, dims.ToArray());
        fresh.CachedBy = this;
        fresh.CacheSlot = slot;
        _cache[slot] = fresh;
        return (fresh, false);
    }

    /// <summary>A GPU output buffer for <paramref name="slot"/>, reused from run to run like a host one.</summary>
    public TensorValue DeviceOutput(int slot, Kernels.Gpu.GpuDevice device, DataType dtype, ReadOnlySpan<int> dims, Operation op)
    {
        var cached = _cache[slot];
        if (_reuse && cached?.OnDevice is { } b && b.Device == device && cached.dtype == dtype && cached.Dims.AsSpan().SequenceEqual(dims)) return cached;
        var fresh = new TensorValue(dtype, dims.ToArray(), device.Allocate(dtype, ShapeUtil.Count(dims), op));
        if (_reuse) _cache[slot] = fresh;
        return fresh;
    }

    /// <summary>A view of <paramref name="input"/>'s buffer with other dims, cached like an output.</summary>
    public TensorValue View(int slot, TensorValue input, ReadOnlySpan<int> dims)
    {
        var cached = _cache[slot];
        // Device values all have the same empty host array: their device buffer tells them apart.
        if (cached is not null && ReferenceEquals(cached.Data, input.Data) && cached.OnDevice == input.OnDevice && cached.Dims.AsSpan().SequenceEqual(dims)) return cached;
        var view = input.WithShape(dims.ToArray());
        if (!_reuse) return view;
        _cache[slot] = view;
        return view;
    }

    /// <summary>
    /// The value as the user may keep it: a variable's buffer is copied (later runs update it in place); a cached
    /// buffer is detached (later runs get a new one, or this one back once the user disposes it); anything else is
    /// returned as is.
    /// </summary>
    public static TensorValue Release(TensorValue v)
    {
        if (v.OnDevice is { } device) return device.ToHost(v.dtype, v.Dims); // a fetch comes out through one copy
        var root = v.Root;
        if (root.IsVariableStorage) return v.Copy();
        if (root.CachedBy is { } frame)
        {
            frame._cache[root.CacheSlot] = null;
            root.CachedBy = null;
            return TensorValue.Lend(root, v, frame);
        }
        // Not a buffer the session can take back: a constant's value, a fed value, or one already handed out in this
        // run (so it can no longer be lent back). The user gets a handle of their own, so that disposing it never
        // touches what the graph or the frame's cache holds (a Const's value, a cached reshape view).
        root.Lent = null;
        return v.WithShape(v.Dims);
    }

    /// <summary>
    /// Takes back a buffer the user disposed (possibly on another thread): it becomes the cached output of its slot
    /// again, unless the slot already has a new one or the buffer was handed out twice.
    /// </summary>
    public void Return(TensorValue root, TensorValue lent)
    {
        if (!ReferenceEquals(Interlocked.CompareExchange(ref root.Lent, null, lent), lent)) return;
        root.CachedBy = this;
        if (Interlocked.CompareExchange(ref _cache[root.CacheSlot], root, null) is not null) root.CachedBy = null;
    }
}
