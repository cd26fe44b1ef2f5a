using System.Numerics;
using System.Text;
using NumSharp;

namespace DataflowNet;

/// <summary>
/// A concrete tensor: dtype, shape and a dense row-major managed buffer. What <c>Session.run</c> returns for a
/// tensor fetch and what kernels read and write. A fetched value belongs to the caller and is never changed by
/// the runtime afterwards.
/// <para>At the NumPy boundary: converts implicitly to a NumSharp <see cref="NDArray"/> (a fresh copy the caller
/// owns and may dispose), explicitly to C# scalars (<c>(float)value</c>) and, for string tensors, to
/// <c>string</c> and <c>string[]</c>. <see cref="ToString"/> prints as NumPy prints; a string scalar prints as
/// the string itself.</para>
/// <para>Disposing a fetched value is optional: it lends the buffer back to the session, whose next run of the same
/// fetch writes into it instead of allocating (as <c>using var c = a.mm(b)</c> frees a TorchSharp result at once).
/// A disposed value throws <see cref="ObjectDisposedException"/> when read.</para>
/// </summary>
public sealed partial class TensorValue : IDisposable
{
    private readonly Array _data;
    internal readonly int[] Dims;
    private bool _disposed;
    internal bool IsDisposed => _disposed;

    /// <summary>The host buffer; reading a disposed value throws.</summary>
    internal Array Data => _disposed ? throw new ObjectDisposedException(nameof(TensorValue), "This fetched value was disposed: its buffer went back to the session that produced it.") : _data;

    internal TensorValue(DataType dtype, int[] dims, Array data)
    {
        this.dtype = dtype;
        Dims = dims;
        _data = data;
        Root = this;
        size = data.Length;
    }

    /// <summary>A value that lives in a GPU's memory: no host buffer (<see cref="Data"/> is empty) until copied back.</summary>
    internal TensorValue(DataType dtype, int[] dims, Kernels.Gpu.GpuBuffer device)
    {
        this.dtype = dtype;
        Dims = dims;
        _data = Array.Empty<byte>();
        OnDevice = device;
        Root = this;
        size = ShapeUtil.Count(dims);
    }

    /// <summary>The GPU buffer of a device-resident value; null for a host value.</summary>
    internal Kernels.Gpu.GpuBuffer? OnDevice { get; }

    // Buffer ownership, for reuse without surprises: a value handed to the user must never change afterwards.
    /// <summary>The value whose buffer this one shares (itself, or the source of a reshape view).</summary>
    internal TensorValue Root { get; private init; }
    /// <summary>The buffer belongs to a variable and is updated in place by later runs: fetches copy it.</summary>
    internal bool IsVariableStorage { get; set; }
    /// <summary>The buffer is a frame's cached output, reused by the next run of its plan: a fetch detaches it.</summary>
    internal Frame? CachedBy { get; set; }
    internal int CacheSlot { get; set; }
    /// <summary>On a cached root detached by a fetch: the value handed out, which may lend the buffer back (see <see cref="Dispose"/>).</summary>
    internal TensorValue? Lent;
    /// <summary>On a value handed out by a fetch: the frame whose cache its buffer came from.</summary>
    private Frame? _lender;

    /// <summary>The value the user gets for the cached buffer <paramref name="root"/> (shown with <paramref name="view"/>'s dims), lendable back to <paramref name="frame"/>.</summary>
    internal static TensorValue Lend(TensorValue root, TensorValue view, Frame frame)
    {
        var handed = new TensorValue(view.dtype, view.Dims, root._data) { Root = root, _lender = frame };
        root.Lent = handed;
        return handed;
    }

    /// <summary>
    /// Ends the use of this value. A value fetched from a session's output buffer lends that buffer back to the
    /// session for its next run (unless the same buffer was also fetched as another value in that run); any other
    /// value is simply left to the garbage collector. Reading a disposed value throws.
    /// </summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Interlocked.Exchange(ref _lender, null)?.Return(Root, this);
    }

    public DataType dtype { get; }
    /// <summary>The dimensions (a copy).</summary>
    public int[] shape => (int[])Dims.Clone();
    public int ndim => Dims.Length;
    public int size { get; }

    internal T[] Buffer<T>() => (T[])Data;
    internal Span<T> Span<T>() => ((T[])Data).AsSpan();

    public static TensorValue Create<T>(T[] data, params int[] shape)
    {
        var dt = DataTypeExtensions.FromClr(typeof(T));
        if (dt == DataType.Invalid) throw new InvalidArgumentException($"Element type {typeof(T).Name} is not a supported dtype.");
        if (ShapeUtil.Count(shape) != data.Length)
            throw new InvalidArgumentException($"{data.Length} elements do not fill shape {TensorShape.Format(shape)}.");
        return new TensorValue(dt, (int[])shape.Clone(), data);
    }

    public static TensorValue Scalar<T>(T value) => Create(new[] { value });

    /// <summary>A new zero-filled (empty-string-filled) value.</summary>
    internal static TensorValue Allocate(DataType dtype, int[] dims)
    {
        var n = ShapeUtil.Count(dims);
        return new TensorValue(dtype, dims, NewBuffer(dtype, n));
    }

    /// <summary>A new value whose contents are undefined (no clearing pass): for outputs a kernel overwrites entirely.</summary>
    internal static TensorValue AllocateUninitialized(DataType dtype, int[] dims)
    {
        var n = ShapeUtil.Count(dims);
        Array data = dtype switch
        {
            DataType.Float32 => GC.AllocateUninitializedArray<float>(n),
            DataType.Float64 => GC.AllocateUninitializedArray<double>(n),
            DataType.Int32 => GC.AllocateUninitializedArray<int>(n),
            DataType.Int64 => GC.AllocateUninitializedArray<long>(n),
            _ => NewBuffer(dtype, n),
        };
        return new TensorValue(dtype, dims, data);
    }

    private static Array NewBuffer(DataType dtype, int n) =>
        dtype == DataType.String ? Enumerable.Repeat("", n).ToArray() : Array.CreateInstance(dtype.ClrType(), n);

    /// <summary>Clears the buffer (strings to "").</summary>
    internal void Clear()
    {
        if (Data is string[] s) Array.Fill(s, "");
        else Array.Clear(Data);
    }

    /// <summary>A view of the same buffer with other dims (reshape, expand_dims, squeeze).</summary>
    internal TensorValue WithShape(int[] dims) =>
        OnDevice is { } d ? new(dtype, dims, d) { Root = Root } : new(dtype, dims, Data) { Root = Root };

    /// <summary>A copy with its own buffer.</summary>
    internal TensorValue Copy() => OnDevice is { } d ? d.ToHost(dtype, Dims) : new(dtype, Dims, (Array)Data.Clone());

    /// <summary>The elements in row-major order, converted to <typeparamref name="T"/> when the dtype differs.</summary>
    public T[] ToArray<T>()
    {
        if (Data is T[] same) return (T[])same.Clone();
        var target = DataTypeExtensions.FromClr(typeof(T));
        return ValueConversion.Convert(this, target, ConversionMode.Truncating, "ToArray").Buffer<T>();
    }

    /// <summary>The single element of a one-element value.</summary>
    public T item<T>()
    {
        if (size != 1)
            throw new InvalidCastException($"Only a value with exactly one element converts to {typeof(T).Name}; this one has shape {TensorShape.Format(Dims)}.");
        return ToArray<T>()[0];
    }

    /// <summary>Element <paramref name="i"/> of an integer tensor as a long, without allocating (axes, shapes, indices).</summary>
    internal long LongAt(int i) => Data switch
    {
        int[] a => a[i],
        long[] a => a[i],
        byte[] a => a[i],
        _ => throw new InvalidCastException($"A {dtype.Name()} value is not an integer tensor."),
    };

    /// <summary>The first element as <typeparamref name="T"/>, without allocating (for scalar hyper-parameters and attributes fed as tensors).</summary>
    internal T ScalarAs<T>() where T : INumber<T> => Data switch
    {
        float[] f => T.CreateTruncating(f[0]),
        double[] d => T.CreateTruncating(d[0]),
        int[] i => T.CreateTruncating(i[0]),
        long[] l => T.CreateTruncating(l[0]),
        byte[] b => T.CreateTruncating(b[0]),
        bool[] b => b[0] ? T.One : T.Zero,
        _ => throw new InvalidCastException($"A {dtype.Name()} value has no numeric scalar."),
    };

    /// <summary>A NumSharp copy of this value, owned by the caller. String tensors have no NDArray form.</summary>
    public NDArray numpy()
    {
        if (dtype == DataType.String)
            throw new InvalidCastException("A string tensor has no NDArray form (NumSharp has no string dtype); convert it to string or string[] instead.");
        // A copy: NumSharp wraps the array it is given, and this buffer may be a graph constant's or one the session
        // takes back when the value is disposed.
        return new NDArray((Array)Data.Clone(), new NumSharp.Shape(Dims), 'C');
    }

    public static implicit operator NDArray(TensorValue v) => v.numpy();
    public static explicit operator float(TensorValue v) => v.item<float>();
    public static explicit operator double(TensorValue v) => v.item<double>();
    public static explicit operator int(TensorValue v) => v.item<int>();
    public static explicit operator long(TensorValue v) => v.item<long>();
    public static explicit operator byte(TensorValue v) => v.item<byte>();
    public static explicit operator bool(TensorValue v) => v.item<bool>();
    public static explicit operator string(TensorValue v) => v.dtype == DataType.String ? v.item<string>()
        : throw new InvalidCastException($"A {v.dtype.Name()} value converts to string through ToString(), not a cast.");
    public static explicit operator string[](TensorValue v) => v.dtype == DataType.String && v.ndim <= 1 ? v.ToArray<string>()
        : throw new InvalidCastException($"Only a string tensor of rank 0 or 1 converts to string[]; this is {v.dtype.Name()} with shape {TensorShape.Format(v.Dims)}.");
    public static explicit operator float[](TensorValue v) => v.ToArray<float>();
    public static explicit operator double[](TensorValue v) => v.ToArray<double>();
    public static explicit operator int[](TensorValue v) => v.ToArray<int>();
    public static explicit operator long[](TensorValue v) => v.ToArray<long>();
    public static explicit operator bool[](TensorValue v) => v.ToArray<bool>();

    /// <summary>As NumPy prints it (<c>[[1. 2.] [3. 4.]]</c>); a string scalar is the string itself.</summary>
    public override string ToString()
    {
        if (dtype == DataType.String) return FormatStrings();
        using var nd = numpy();
        return nd.ToString();
    }

    private string FormatStrings()
    {
        var s = Buffer<string>();
        if (Dims.Length == 0) return s[0];
        var sb = new StringBuilder();
        int pos = 0;
        Write(0);
        return sb.ToString();

        void Write(int axis)
        {
            sb.Append('[');
            for (int i = 0; i < Dims[axis]; i++)
            {
                if (i > 0) sb.Append(axis == Dims.Length - 1 ? " " : "\n" + new string(' ', axis + 1));
                if (axis == Dims.Length - 1) sb.Append('\'').Append(s[pos++]).Append('\'');
                else Write(axis + 1);
            }
            sb.Append(']');
        }
    }
}

/// <summary>Row-major shape arithmetic shared by kernels and conversions.</summary>
internal static class ShapeUtil
{
    public static int Count(ReadOnlySpan<int> dims)
    {
        long n = 1;
        foreach (var d in dims) n *= d;
        return checked((int)n);
    }

    public static int[] Strides(ReadOnlySpan<int> dims)
    {
        var s = new int[dims.Length];
        int acc = 1;
        for (int i = dims.Length - 1; i >= 0; i--) { s[i] = acc; acc *= dims[i]; }
        return s;
    }

    public static int NormalizeAxis(int axis, int rank, Func<string, Exception> error)
    {
        if (axis < -rank || axis >= rank)
            throw error($"axis {axis} is out of range for a tensor of rank {rank} (expected [{-rank}, {rank}))");
        return axis < 0 ? axis + rank : axis;
    }

    /// <summary>Marks a reduction's axis in <paramref name="reduce"/>; an axis given twice (0 and -rank too) is an error, as in TensorFlow.</summary>
    public static void MarkReducedAxis(int axis, Span<bool> reduce, Func<string, Exception> error)
    {
        int a = NormalizeAxis(axis, reduce.Length, error);
        if (reduce[a]) throw error($"Invalid reduction arguments: Axes contains duplicate dimension: {a}");
        reduce[a] = true;
    }
}
