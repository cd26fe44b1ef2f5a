using NumSharp;

namespace DataflowNet;

/// <summary>
/// A tensor, or a C# value that becomes one (a number, array, string, NDArray or TensorValue). Ops take this in
/// place of a Tensor, as Python's ops take numbers and lists; a value is converted to a constant of the other
/// input's dtype where there is one.
/// </summary>
public readonly struct TensorLike
{
    private readonly Tensor? _tensor;
    private readonly object? _value;

    private TensorLike(Tensor? tensor, object? value)
    {
        _tensor = tensor;
        _value = value;
    }

    internal Tensor? Tensor => _tensor;
    internal Graph? Graph => _tensor?.graph;
    internal bool IsTensor => _tensor is not null;
    /// <summary>The C# value when this is not a tensor.</summary>
    internal object? Value => _value;
    /// <summary>The dtype this would have on its own (Python's literal rules), without creating an op.</summary>
    internal DataType DType => _tensor?.dtype ?? ValueConversion.FromObject(_value, null, "value").dtype;

    /// <summary>The tensor itself, or a Const of <paramref name="dtype"/> (Python's literal rules when null).</summary>
    internal Tensor ToTensor(DataType? dtype = null, string name = "Const")
    {
        if (_tensor is not null) return _tensor;
        if (_value is null) throw new InvalidArgumentException("A null value cannot be converted to a tensor.");
        return tf.constant_value(ValueConversion.FromObject(_value, dtype, $"Cannot convert {Describe(_value)} to a tensor of dtype {dtype?.Name() ?? "(inferred)"}"), name);
    }

    private static string Describe(object v) => v is Array a ? $"a {a.GetType().Name}" : $"the value {v}";

    public static implicit operator TensorLike(Tensor t) => new(t, null);
    public static implicit operator TensorLike(float v) => new(null, v);
    public static implicit operator TensorLike(double v) => new(null, v);
    public static implicit operator TensorLike(int v) => new(null, v);
    public static implicit operator TensorLike(long v) => new(null, v);
    public static implicit operator TensorLike(byte v) => new(null, v);
    public static implicit operator TensorLike(bool v) => new(null, v);
    public static implicit operator TensorLike(string v) => new(null, v);
    public static implicit operator TensorLike(Array v) => new(null, v);
    public static implicit operator TensorLike(NDArray v) => new(null, v);
    public static implicit operator TensorLike(TensorValue v) => new(null, v);
}
