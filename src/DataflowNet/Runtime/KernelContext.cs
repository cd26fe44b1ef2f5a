namespace DataflowNet;

/// <summary>What a kernel sees for one execution: input values, attributes, output slots and the run's state.</summary>
public sealed class KernelContext
{
    private readonly Operation _op;
    private readonly TensorValue?[] _inputs;
    internal readonly TensorValue?[] Outputs;
    internal readonly RunState Run;

    internal KernelContext(Operation op, TensorValue?[] inputs, RunState run)
    {
        _op = op;
        _inputs = inputs;
        Outputs = new TensorValue?[op.outputs.Length];
        Run = run;
    }

    public int NumInputs => _inputs.Length;
    public string OpName => _op.name;
    public TensorValue Input(int i) => _inputs[i] ?? throw Error($"input {i} has no value");
    public T Attr<T>(string name) => _op.get_attr<T>(name);
    public DataType OutputType(int i) => _op.outputs[i].dtype;

    /// <summary>The variable behind a reference input (Assign's 'ref'): an opaque key into the session's variable store.</summary>
    internal Operation VariableKey(int input) => _op.inputs[input].op;
    internal Operation Self => _op;

    public void SetOutput(int i, TensorValue value) => Outputs[i] = value;

    public TensorValue AllocateOutput(int i, int[] dims) => AllocateOutput(i, OutputType(i), dims);

    public TensorValue AllocateOutput(int i, DataType dtype, int[] dims)
    {
        var v = TensorValue.Allocate(dtype, dims);
        Outputs[i] = v;
        return v;
    }

    /// <summary>A run-time error about this op: bad values that no shape function could see.</summary>
    public InvalidArgumentException Error(string message) => new($"{message}\n\tin op {_op.Describe()}") { Op = _op };
}
