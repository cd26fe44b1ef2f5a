namespace DataflowNet;

/// <summary>
/// What a kernel sees for one execution: input values, attributes, output slots and the run's state. One context
/// per step lives in each frame and is reused run after run; its outputs come from the frame's buffer cache, so a
/// warm plan allocates nothing.
/// </summary>
public sealed class KernelContext
{
    private readonly Operation _op;
    internal readonly TensorValue?[] Inputs;
    internal readonly TensorValue?[] Outputs;
    private readonly Frame _frame;
    private readonly int _firstSlot;
    private readonly VariableCell?[] _cells;

    internal KernelContext(Operation op, Frame frame, int firstSlot, VariableCell?[] cells, int inputCount)
    {
        _op = op;
        _frame = frame;
        _firstSlot = firstSlot;
        _cells = cells;
        Inputs = new TensorValue?[inputCount];
        Outputs = new TensorValue?[op.outputs.Length];
        Errors = Error;
    }

    /// <summary><see cref="Error"/> as a delegate, created once (a method-group conversion per call would allocate).</summary>
    public Func<string, Exception> Errors { get; }

    internal RunState Run => _frame.State;
    public int NumInputs => Inputs.Length;
    public string OpName => _op.name;
    public TensorValue Input(int i) => Inputs[i] ?? throw Error($"input {i} has no value");

    /// <summary>
    /// Input <paramref name="i"/>'s one value, for a scalar hyperparameter (a learning rate, a momentum): it must be
    /// rank 0, as TensorFlow's training kernels require, also when its static shape was unknown.
    /// </summary>
    internal T ScalarInput<T>(int i) where T : System.Numerics.INumber<T>
    {
        var v = Input(i);
        if (v.ndim != 0) throw Error($"Input {i} ({_op.inputs[i].name}) must be a scalar, got shape {TensorShape.Format(v.Dims)}.");
        return v.ScalarAs<T>();
    }
    public T Attr<T>(string name) => _op.get_attr<T>(name);
    public DataType OutputType(int i) => _op.outputs[i].dtype;
    internal Operation Self => _op;

    /// <summary>The variable behind input <paramref name="input"/> (a reference input, or a read of a variable).</summary>
    internal VariableCell Variable(int input) => _cells[input] ?? throw Error($"input {input} is not a variable");

    /// <summary>State a kernel keeps from run to run in this frame (a fused kernel's chunk buffers).</summary>
    internal object? Scratch { get; set; }

    /// <summary>A VariableV2 step's own variable, or the variable a fused chain assigns to.</summary>
    internal VariableCell? SelfCell { get; init; }

    public void SetOutput(int i, TensorValue value) => Outputs[i] = value;

    /// <summary>A zero-filled output buffer (reused from the previous run when dtype and dims match).</summary>
    public TensorValue AllocateOutput(int i, ReadOnlySpan<int> dims) => AllocateOutput(i, OutputType(i), dims);

    public TensorValue AllocateOutput(int i, DataType dtype, ReadOnlySpan<int> dims)
    {
        var (v, reused) = _frame.Output(_firstSlot + i, dtype, dims);
        if (reused) v.Clear();
        Outputs[i] = v;
        return v;
    }

    /// <summary>A GPU output buffer (contents undefined), reused from the previous run when dtype and dims match.</summary>
    internal TensorValue AllocateDeviceOutput(int i, Kernels.Gpu.GpuDevice device, ReadOnlySpan<int> dims, DataType? dtype = null)
    {
        var v = _frame.DeviceOutput(_firstSlot + i, device, dtype ?? OutputType(i), dims, _op);
        Outputs[i] = v;
        return v;
    }

    /// <summary>An output buffer whose contents are undefined: for kernels that write every element.</summary>
    public TensorValue AllocateUninitializedOutput(int i, ReadOnlySpan<int> dims)
    {
        var (v, _) = _frame.Output(_firstSlot + i, OutputType(i), dims, zeroed: false);
        Outputs[i] = v;
        return v;
    }

    /// <summary>Output <paramref name="i"/> is <paramref name="input"/> seen with other dims (no copy).</summary>
    public void SetOutputView(int i, TensorValue input, ReadOnlySpan<int> dims) =>
        Outputs[i] = input.Dims.AsSpan().SequenceEqual(dims) ? input : _frame.View(_firstSlot + i, input, dims);

    /// <summary>A run-time error about this op: bad values that no shape function could see.</summary>
    public InvalidArgumentException Error(string message) => new($"{message}\n\tin op {_op.Describe()}") { Op = _op };
}
