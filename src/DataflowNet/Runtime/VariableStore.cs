using System.Collections.Concurrent;

namespace DataflowNet;

/// <summary>
/// One variable's storage in one session: its current value and a spare buffer of the same shape. An update writes
/// the new value into the spare (a double buffer), and the run's commit swaps them, so updates allocate nothing once
/// warm and a run that fails leaves the variable as it was.
/// </summary>
internal sealed class VariableCell(Operation variable)
{
    public Operation Variable { get; } = variable;
    public volatile TensorValue? Value;
    private TensorValue? _spare;

    /// <summary>A buffer the new value can be written into (in <paramref name="device"/>'s memory, or the host's when null): the spare when it fits, else a new one.</summary>
    public TensorValue TakeBuffer(DataType dtype, ReadOnlySpan<int> dims, Kernels.Gpu.GpuDevice? device = null)
    {
        var spare = Interlocked.Exchange(ref _spare, null);
        if (spare is not null && spare.dtype == dtype && spare.Dims.AsSpan().SequenceEqual(dims) && spare.OnDevice?.Device == device) return spare;
        return NewBuffer(dtype, dims, device);
    }

    /// <summary>A buffer for the variable's value that no one else holds (a second write in one run).</summary>
    public TensorValue NewBuffer(DataType dtype, ReadOnlySpan<int> dims, Kernels.Gpu.GpuDevice? device = null)
    {
        var fresh = device is null ? TensorValue.Allocate(dtype, dims.ToArray())
            : new TensorValue(dtype, dims.ToArray(), device.Allocate(dtype, ShapeUtil.Count(dims), Variable));
        fresh.IsVariableStorage = true;
        return fresh;
    }

    /// <summary>Makes <paramref name="value"/> current; the old value becomes the spare.</summary>
    public void Commit(TensorValue value)
    {
        // One atomic swap: two runs committing at once (hogwild training) each get back a different old buffer.
#pragma warning disable CS0420 // a volatile field passed by reference: Interlocked is a full fence anyway
        var old = Interlocked.Exchange(ref Value, value);
#pragma warning restore CS0420
        if (old is not null && !ReferenceEquals(old, value)) Volatile.Write(ref _spare, old);
    }

    /// <summary>Returns a staged buffer that a failed run will not commit.</summary>
    public void Discard(TensorValue value)
    {
        if (!ReferenceEquals(value, Value)) Volatile.Write(ref _spare, value);
    }
}

/// <summary>A session's variables, one cell per VariableV2 op.</summary>
internal sealed class VariableStore
{
    private readonly ConcurrentDictionary<Operation, VariableCell> _cells = new();

    public VariableCell Cell(Operation variable) => _cells.GetOrAdd(variable, static v => new VariableCell(v));

    public void Clear() => _cells.Clear();
}

/// <summary>
/// The state of one <c>Session.run</c>: variable writes are staged here and committed only when the whole run
/// succeeds, so a failed run changes no variable. Reused from run to run with its frame.
/// </summary>
internal sealed class RunState(Session session)
{
    /// <summary>Each written variable's latest staged value (earlier ones of the same run are left to their readers).</summary>
    private readonly Dictionary<VariableCell, TensorValue> _pending = new(ReferenceEqualityComparer.Instance);

    public Session Session { get; } = session;

    public TensorValue? TryReadVariable(VariableCell cell) => _pending.TryGetValue(cell, out var staged) ? staged : cell.Value;

    /// <summary>The variable's value, or TensorFlow's uninitialized-value error.</summary>
    public TensorValue ReadVariable(VariableCell cell) => TryReadVariable(cell) ?? throw Uninitialized(cell.Variable);

    /// <summary>A buffer for the variable's next value, staged until the run commits. Reused run after run.</summary>
    public TensorValue StageWrite(VariableCell cell, DataType dtype, ReadOnlySpan<int> dims, Kernels.Gpu.GpuDevice? device = null)
    {
        // A second write in one run gets a buffer of its own: a read of the first value (read_value() between the
        // two, in a loop or under control dependencies) keeps what it read. The last write is the one committed; the
        // earlier ones are not kept here, so a loop that assigns on every iteration holds one staged value, not all.
        var buffer = _pending.ContainsKey(cell) ? cell.NewBuffer(dtype, dims, device) : cell.TakeBuffer(dtype, dims, device);
        _pending[cell] = buffer;
        return buffer;
    }

    public void Commit()
    {
        foreach (var (cell, value) in _pending) cell.Commit(value);
        _pending.Clear();
    }

    public void Discard()
    {
        foreach (var (cell, value) in _pending) cell.Discard(value);
        _pending.Clear();
    }

    internal static FailedPreconditionException Uninitialized(Operation variable) =>
        new($"Attempting to use uninitialized value {variable.name}\n\t [[node {variable.name} (defined at {variable.CreationSite})]]\n" +
            "Run its initializer first, e.g. sess.run(tf.global_variables_initializer()).") { Op = variable };
}
