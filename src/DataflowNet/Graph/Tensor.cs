namespace DataflowNet;

/// <summary>
/// One output of one operation: a symbolic value with a dtype and a (possibly partial) static shape. Its value
/// exists only inside a <see cref="Session"/> run. Operators (+, -, *, /, unary -) and the string indexer build ops.
/// </summary>
public partial class Tensor : IFetchable
{
    internal Tensor(Operation op, int valueIndex, DataType dtype, TensorShape shape)
    {
        _op = op;
        value_index = valueIndex;
        this.dtype = dtype;
        _shape = shape;
    }

    private readonly Operation _op;
    private TensorShape _shape;

    /// <summary>The operation that produces this tensor.</summary>
    public Operation op => _op;
    public int value_index { get; }
    public DataType dtype { get; }
    public Graph graph => _op.graph;
    public string name => $"{_op.name}:{value_index}";
    public TensorShape shape => _shape;
    public string device => _op.device;

    /// <summary>Merges <paramref name="shape"/> into the static shape (see <see cref="TensorShapeExtensions.set_shape"/>).</summary>
    internal void RefineShape(TensorShape shape)
    {
        var merged = _shape.MergeWith(shape)
            ?? throw new InvalidArgumentException($"Tensor {name}: shape {shape} is incompatible with its static shape {_shape}. (created at {_op.CreationSite})") { Op = _op };
        _shape = merged;
        if (_op.outputs.Length > value_index && _op.outputs[value_index] is { } canonical) canonical._shape = merged;
    }

    /// <summary>Evaluates this tensor in the default session (scripts and InteractiveSession).</summary>
    public TensorValue eval(FeedDict? feed_dict = null, Session? session = null) =>
        (session ?? Session.DefaultOrThrow("Tensor.eval()")).run(this, feed_dict);

    /// <summary>Two Tensor objects are the same tensor when they are the same output of the same op.</summary>
    public override bool Equals(object? obj) => obj is Tensor t && ReferenceEquals(t._op, _op) && t.value_index == value_index;
    public override int GetHashCode() => HashCode.Combine(_op, value_index);

    public override string ToString() => $"Tensor(\"{name}\", shape={_shape}, dtype={dtype.Name()})";
}

/// <summary>The dtype and static shape of an op output, as its shape function infers them.</summary>
public readonly record struct OutputSpec(DataType DType, TensorShape Shape);

/// <summary>TensorFlow's <c>Tensor.set_shape</c>: an extension method because C# reserves the name for the <c>shape</c> property's setter.</summary>
public static class TensorShapeExtensions
{
    /// <summary>
    /// Refines the static shape with what the caller knows: the shapes merge, so unknown dims become known; a shape
    /// that contradicts the known one is an error. Ops created afterwards see the refined shape.
    /// </summary>
    public static void set_shape(this Tensor tensor, TensorShape shape) => tensor.RefineShape(shape);
}
