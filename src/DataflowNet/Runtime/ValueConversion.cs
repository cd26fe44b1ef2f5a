using System.Numerics;
using NumSharp;

namespace DataflowNet;

internal enum ConversionMode
{
    /// <summary>As the Cast op: float to int truncates toward zero, numbers to bool test for non-zero.</summary>
    Truncating,
    /// <summary>As feeds and literals: only conversions that keep the values (float64 to float32 rounds, as TensorFlow allows).</summary>
    Lossless,
}

/// <summary>Turns C# values (scalars, rectangular and jagged arrays, strings, NDArrays) into TensorValues, and converts dtypes.</summary>
internal static class ValueConversion
{
    /// <summary>
    /// Converts a C# value with Python's literal rules: double becomes float32 (as a Python float does) unless
    /// <paramref name="dtype"/> says otherwise; float → float32, int → int32, long → int64, bool, string; an NDArray keeps its dtype.
    /// </summary>
    public static TensorValue FromObject(object? value, DataType? dtype, string what)
    {
        var natural = FromObjectNatural(value, what, dtype is null);
        if (dtype is null || dtype == natural.dtype) return natural;
        return Convert(natural, dtype.Value, ConversionMode.Lossless, what);
    }

    private static TensorValue FromObjectNatural(object? value, string what, bool pythonFloats)
    {
        TensorValue v = value switch
        {
            null => throw new InvalidArgumentException($"{what}: None/null cannot be converted to a tensor."),
            TensorValue tv => tv,
            NDArray nd => FromNDArray(nd, what),
            string s => TensorValue.Scalar(s),
            float f => TensorValue.Scalar(f),
            double d => TensorValue.Scalar(d),
            int i => TensorValue.Scalar(i),
            long l => TensorValue.Scalar(l),
            byte b => TensorValue.Scalar(b),
            bool b => TensorValue.Scalar(b),
            Array a => FromArray(a, what),
            _ => throw new InvalidArgumentException($"{what}: a value of type {value.GetType().Name} cannot be converted to a tensor."),
        };
        // Python floats are float32 in TensorFlow unless a dtype says otherwise; an NDArray keeps float64.
        if (pythonFloats && v.dtype == DataType.Float64 && value is not NDArray && value is not TensorValue)
            v = Convert(v, DataType.Float32, ConversionMode.Truncating, what);
        return v;
    }

    private static TensorValue FromNDArray(NDArray nd, string what)
    {
        var dt = NDArrayType(nd.typecode);
        if (dt == DataType.Invalid)
            throw new InvalidArgumentException($"{what}: NDArray dtype {nd.dtype.Name} is not supported (use float32, float64, int32, int64, uint8 or bool).");
        var dims = nd.shape.Select(d => checked((int)d)).ToArray();
        Array data = dt switch
        {
            DataType.Float32 => nd.ToArray<float>(),
            DataType.Float64 => nd.ToArray<double>(),
            DataType.Int32 => nd.ToArray<int>(),
            DataType.Int64 => nd.ToArray<long>(),
            DataType.UInt8 => nd.ToArray<byte>(),
            _ => nd.ToArray<bool>(),
        };
        return new TensorValue(dt, dims, data);
    }

    private static TensorValue FromArray(Array a, string what)
    {
        var elem = a.GetType().GetElementType()!;
        if (elem.IsArray) return FromJagged(a, what);
        var dt = DataTypeExtensions.FromClr(elem);
        if (dt == DataType.Invalid)
            throw new InvalidArgumentException($"{what}: arrays of {elem.Name} cannot be converted to a tensor.");
        var dims = new int[a.Rank];
        for (int i = 0; i < a.Rank; i++) dims[i] = a.GetLength(i);
        var flat = Array.CreateInstance(elem, a.Length);
        if (a.Rank == 1) Array.Copy(a, flat, a.Length);
        else if (elem == typeof(string)) { int k = 0; foreach (var o in a) flat.SetValue(o, k++); }
        else System.Buffer.BlockCopy(a, 0, flat, 0, System.Buffer.ByteLength(a));
        return new TensorValue(dt, dims, flat);
    }

    private static TensorValue FromJagged(Array a, string what)
    {
        // Walk down the first elements for the shape, then check every row has it (TensorFlow rejects ragged lists).
        var dims = new List<int>();
        object cur = a;
        while (cur is Array arr && arr.Rank == 1)
        {
            dims.Add(arr.Length);
            if (arr.Length == 0) break;
            cur = arr.GetValue(0)!;
            if (cur is null) throw new InvalidArgumentException($"{what}: a jagged array with a null row cannot be converted to a tensor.");
        }
        var leaf = a.GetType();
        while (leaf.IsArray) leaf = leaf.GetElementType()!;
        var dt = DataTypeExtensions.FromClr(leaf);
        if (dt == DataType.Invalid) throw new InvalidArgumentException($"{what}: arrays of {leaf.Name} cannot be converted to a tensor.");
        var dimArr = dims.ToArray();
        var flat = Array.CreateInstance(leaf, ShapeUtil.Count(dimArr));
        int pos = 0;
        Fill(a, 0);
        return new TensorValue(dt, dimArr, flat);

        void Fill(Array arr, int depth)
        {
            if (arr.Length != dimArr[depth])
                throw new InvalidArgumentException($"{what}: the jagged array is not rectangular (a row of length {arr.Length} where {dimArr[depth]} was expected at depth {depth}).");
            if (depth == dimArr.Length - 1)
            {
                if (arr.GetType().GetElementType()!.IsArray)
                    throw new InvalidArgumentException($"{what}: the jagged array is not rectangular (nesting deeper than its first row).");
                Array.Copy(arr, 0, flat, pos, arr.Length);
                pos += arr.Length;
                return;
            }
            foreach (var row in arr)
            {
                if (row is not Array r) throw new InvalidArgumentException($"{what}: the jagged array is not rectangular (a null or scalar where a row was expected).");
                Fill(r, depth + 1);
            }
        }
    }

    /// <summary>
    /// Copies a fed value whose element type already matches into the frame's reused buffer for the slot, so a warm
    /// training loop that feeds NDArray or C# array batches allocates nothing. Null when a conversion is needed.
    /// </summary>
    public static unsafe TensorValue? TryCopyInto(object value, DataType dtype, Frame frame, int slot)
    {
        if (dtype == DataType.String) return null;
        int elementSize = dtype.Size();
        switch (value)
        {
            case NDArray nd when NDArrayType(nd.typecode) == dtype && nd.Shape.IsContiguous && !nd.Shape.IsSliced && nd.ndim <= 16:
            {
                Span<int> dims = stackalloc int[nd.ndim];
                var shape = nd.Shape.Dimensions;
                for (int i = 0; i < dims.Length; i++) dims[i] = checked((int)shape[i]);
                var (target, _) = frame.Output(slot, dtype, dims, zeroed: false);
                long bytes = (long)target.size * elementSize;
                var source = new ReadOnlySpan<byte>((void*)nd.Unsafe.Address, checked((int)bytes));
                source.CopyTo(System.Runtime.InteropServices.MemoryMarshal.CreateSpan(
                    ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(target.Data), (int)bytes));
                return target;
            }
            case Array a when a.GetType().GetElementType() == dtype.ClrType() && a.Rank <= 16:
            {
                Span<int> dims = stackalloc int[a.Rank];
                for (int i = 0; i < dims.Length; i++) dims[i] = a.GetLength(i);
                var (target, _) = frame.Output(slot, dtype, dims, zeroed: false);
                System.Buffer.BlockCopy(a, 0, target.Data, 0, target.size * elementSize);
                return target;
            }
            default:
                return null;
        }
    }

    private static DataType NDArrayType(NPTypeCode code) => code switch
    {
        NPTypeCode.Single => DataType.Float32,
        NPTypeCode.Double => DataType.Float64,
        NPTypeCode.Int32 => DataType.Int32,
        NPTypeCode.Int64 => DataType.Int64,
        NPTypeCode.Byte => DataType.UInt8,
        NPTypeCode.Boolean => DataType.Bool,
        _ => DataType.Invalid,
    };

    /// <summary>Converts elements to <paramref name="target"/>; in Lossless mode a value that would change is an error.</summary>
    public static TensorValue Convert(TensorValue v, DataType target, ConversionMode mode, string what)
    {
        if (v.dtype == target) return v;
        if (v.dtype == DataType.String || target == DataType.String)
            throw new InvalidArgumentException($"{what}: cannot convert a {v.dtype.Name()} value to {target.Name()}.");
        if (mode == ConversionMode.Lossless && (v.dtype == DataType.Bool || target == DataType.Bool))
            throw new InvalidArgumentException($"{what}: expected {target.Name()}, got a {v.dtype.Name()} value; convert it explicitly (tf.cast) if that is intended.");
        var result = TensorValue.Allocate(target, v.Dims);
        ConvertInto(v, result, mode, what);
        return result;
    }

    /// <summary>Converts the elements of <paramref name="v"/> into the existing buffer <paramref name="result"/> (same size).</summary>
    public static void ConvertInto(TensorValue v, TensorValue result, ConversionMode mode, string what)
    {
        if (v.dtype == DataType.String || result.dtype == DataType.String)
            throw new InvalidArgumentException($"{what}: cannot convert a {v.dtype.Name()} value to {result.dtype.Name()}.");
        var converter = new Converter(v, result, mode, what);
        TypeSwitch.Numeric(v.dtype == DataType.Bool ? DataType.UInt8 : v.dtype, ref converter);
    }

    /// <summary>Dispatches on the source element type, then on the target's.</summary>
    private struct Converter(TensorValue src, TensorValue dst, ConversionMode mode, string what) : INumericAction
    {
        public void Invoke<TSrc>() where TSrc : unmanaged, INumber<TSrc>
        {
            var inner = new Inner<TSrc>(src, dst, mode, what);
            TypeSwitch.Numeric(dst.dtype == DataType.Bool ? DataType.UInt8 : dst.dtype, ref inner);
        }
    }

    private struct Inner<TSrc>(TensorValue src, TensorValue dst, ConversionMode mode, string what) : INumericAction
        where TSrc : unmanaged, INumber<TSrc>
    {
        public void Invoke<TDst>() where TDst : unmanaged, INumber<TDst>
        {
            ReadOnlySpan<TSrc> s = src.dtype == DataType.Bool
                ? System.Runtime.InteropServices.MemoryMarshal.Cast<bool, TSrc>(src.Span<bool>())
                : src.Span<TSrc>();
            if (dst.dtype == DataType.Bool)
            {
                var d = dst.Span<bool>();
                for (int i = 0; i < s.Length; i++) d[i] = !TSrc.IsZero(s[i]);
                return;
            }
            var o = dst.Span<TDst>();
            if (mode == ConversionMode.Truncating || typeof(TDst) == typeof(float) || typeof(TDst) == typeof(double))
            {
                // Float targets take every number (float64 → float32 rounds, as TensorFlow's feeds allow).
                for (int i = 0; i < s.Length; i++) o[i] = TDst.CreateTruncating(s[i]);
                return;
            }
            for (int i = 0; i < s.Length; i++)
            {
                var x = s[i];
                TDst y;
                try { y = TDst.CreateChecked(x); }
                catch (OverflowException) { throw Lossy(x); }
                if (TSrc.CreateTruncating(y) != x) throw Lossy(x);
                o[i] = y;
            }
        }

        private InvalidArgumentException Lossy(TSrc x) =>
            new($"{what}: expected {dst.dtype.Name()}, got {src.dtype.Name()} data with the value {x}, which {dst.dtype.Name()} cannot hold exactly.");
    }
}
