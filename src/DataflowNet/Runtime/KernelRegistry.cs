namespace DataflowNet;

/// <summary>A kernel computes one op's outputs from its inputs and attributes; it never sees the graph.</summary>
public delegate void Kernel(KernelContext ctx);

/// <summary>A device's kernels, keyed by op type and the dtype that selects the implementation.</summary>
public sealed class KernelRegistry
{
    private readonly Dictionary<string, (Kernel Kernel, DataType[]? Types, int DTypeInput)> _kernels = new();
    private readonly Dictionary<string, int[]> _hostMemory = new();

    /// <summary>
    /// Registers a kernel for <paramref name="opType"/>; <paramref name="types"/> null means every dtype.
    /// <paramref name="hostMemory"/> lists the inputs the kernel reads on the host (axes, shapes, scalars; -1 the last), as
    /// TensorFlow's HostMemory: on an accelerator the plan leaves them in CPU memory instead of copying them over.
    /// <paramref name="dtypeInput"/> is the input whose dtype <paramref name="types"/> constrains, where the first
    /// input is not the data (Fill's value, SelectV2's branches, Conv2DBackpropInput's filter).
    /// <paramref name="dimsOnly"/>: the kernel reads only its inputs' dims, wherever their elements are, and gives small
    /// host values (Shape, Size, Rank): a tensor is never copied between devices just to be measured.
    /// </summary>
    public void Register(string opType, DataType[]? types, Kernel kernel, int[]? hostMemory = null, int dtypeInput = 0, bool dimsOnly = false)
    {
        if (!_kernels.TryAdd(opType, (kernel, types, dtypeInput)))
            throw new InvalidOperationException($"A kernel for '{opType}' is already registered on this device.");
        if (hostMemory is { Length: > 0 }) _hostMemory[opType] = hostMemory;
        if (dimsOnly) _dimsOnly.Add(opType);
    }

    private readonly HashSet<string> _dimsOnly = new();

    /// <summary>Whether this device's kernel for <paramref name="opType"/> reads only dims and gives host values (see Register).</summary>
    public bool ReadsDimsOnly(string opType) => _dimsOnly.Contains(opType);

    /// <summary>
    /// Whether this device's kernel for <paramref name="opType"/> reads input <paramref name="input"/> of
    /// <paramref name="inputCount"/> on the host. A negative host-memory index counts from the end (ConcatV2's axis: -1).
    /// </summary>
    public bool ReadsOnHost(string opType, int input, int inputCount) =>
        _hostMemory.TryGetValue(opType, out var inputs) && (Array.IndexOf(inputs, input) >= 0 || Array.IndexOf(inputs, input - inputCount) >= 0);

    public bool Has(string opType) => _kernels.ContainsKey(opType);

    /// <summary>Wraps every kernel registered so far (a device that must prepare the calling thread before each).</summary>
    internal void WrapAll(Func<Kernel, Kernel> wrap)
    {
        foreach (var key in _kernels.Keys.ToList())
            _kernels[key] = _kernels[key] with { Kernel = wrap(_kernels[key].Kernel) };
    }

    /// <summary>The kernel registered for an op type (for a device that reuses another's device-agnostic kernels).</summary>
    internal Kernel Get(string opType) => _kernels[opType].Kernel;

    /// <summary>Registered op types with their dtypes (null: every dtype), for docs and tests.</summary>
    public IEnumerable<(string OpType, DataType[]? Types)> Entries => _kernels.Select(kv => (kv.Key, kv.Value.Types));

    /// <summary>Whether a kernel here runs this op (its type, with its dtype).</summary>
    public bool Supports(Operation op) =>
        _kernels.TryGetValue(op.type, out var entry) && (entry.Types is null || Array.IndexOf(entry.Types, KernelDType(op, entry.DTypeInput)) >= 0);

    /// <summary>The kernel for this op, or an error naming the op, its dtype and the dtypes that have kernels.</summary>
    public Kernel Find(Operation op, string deviceName)
    {
        if (!_kernels.TryGetValue(op.type, out var entry))
            throw new UnimplementedException($"No kernel for op {op.Describe()} on {deviceName}: DataflowNet does not implement '{op.type}' there.") { Op = op };
        if (entry.Types is not null)
        {
            var t = KernelDType(op, entry.DTypeInput);
            if (Array.IndexOf(entry.Types, t) < 0)
                throw new UnimplementedException($"No kernel for op {op.Describe()} with dtype {t.Name()} on {deviceName}; registered dtypes: {string.Join(", ", entry.Types.Select(x => x.Name()))}.") { Op = op };
        }
        return entry.Kernel;
    }

    /// <summary>
    /// The dtype that picks an implementation: the op's <c>dtype</c> attribute where it has one (what a random op
    /// makes, not its shape's type), else input <paramref name="dtypeInput"/>'s, else the first output's.
    /// </summary>
    internal static DataType KernelDType(Operation op, int dtypeInput = 0) =>
        op.TryGetAttr<DataType>("dtype", out var made) ? made
        : dtypeInput < op.inputs.Length ? op.inputs[dtypeInput].dtype
        : op.outputs.Length > 0 ? op.outputs[0].dtype : DataType.Invalid;
}

/// <summary>A place kernels run: its name and kernel table. The CPU is the one device until the GPU device lands.</summary>
public abstract class Device
{
    /// <summary>The canonical name, /device:CPU:0.</summary>
    public abstract string Name { get; }
    /// <summary>"CPU" or "GPU".</summary>
    public string DeviceType => Name.Split(':')[1];
    /// <summary>Bytes of memory the device offers (the process's managed-heap limit for the CPU).</summary>
    public virtual long MemoryLimit => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    /// <summary>What the device is, for device listings.</summary>
    public virtual string Description => "";
    public abstract KernelRegistry Kernels { get; }

    /// <summary>
    /// Waits for the work queued on this device. A run ends with it, as TensorFlow's sessions sync each device on
    /// finish: a run returns when its kernels have, and a device fault fails the run that waits for it (normally the
    /// one that caused it) before its variable updates commit. The CPU runs its kernels synchronously.
    /// </summary>
    public virtual void Synchronize() { }
}
