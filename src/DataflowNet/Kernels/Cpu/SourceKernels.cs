using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DataflowNet.Kernels.Cpu;

/// <summary>Constants, placeholders, fills, ranges, shape queries, casts and AddN.</summary>
internal static class SourceKernels
{
    public static void Register(KernelRegistry r)
    {
        r.Register("Const", null, ctx => ctx.SetOutput(0, ctx.Attr<TensorValue>("value")));
        r.Register("Placeholder", null, ctx =>
            throw new InvalidArgumentException($"You must feed a value for placeholder tensor '{ctx.OpName}'.") { Op = ctx.Self });
        r.Register("PlaceholderWithDefault", null, ctx => ctx.SetOutput(0, ctx.Input(0)));
        r.Register("NoOp", null, _ => { });
        r.Register("Cast", null, ctx =>
        {
            var x = ctx.Input(0);
            var dst = ctx.Attr<DataType>("DstT");
            if (dst == x.dtype) { ctx.SetOutput(0, x); return; }
            ValueConversion.ConvertInto(x, ctx.AllocateUninitializedOutput(0, x.Dims), ConversionMode.Truncating, ctx.OpName);
        });
        r.Register("Shape", null, ctx =>
        {
            var dims = ctx.Input(0).Dims;
            var result = ctx.AllocateUninitializedOutput(0, [dims.Length]);
            for (int i = 0; i < dims.Length; i++) SetInteger(result, i, dims[i]);
        });
        r.Register("Size", null, ctx => SetInteger(ctx.AllocateUninitializedOutput(0, []), 0, ctx.Input(0).size));
        r.Register("Rank", null, ctx => ctx.SetOutput(0, TensorValue.Scalar(ctx.Input(0).ndim)));
        r.Register("Fill", null, ctx =>
        {
            // Dims read without allocating, into the frame's output buffer: zeros(shape) in a training step (as
            // zeros_like of a known shape now is) allocates nothing once warm.
            var dimsValue = ctx.Input(0);
            Span<int> dims = stackalloc int[dimsValue.size];
            for (int i = 0; i < dims.Length; i++)
            {
                long d = dimsValue.LongAt(i);
                if (d < 0 || d > int.MaxValue) throw ctx.Error($"dims must be non-negative, got [{string.Join(", ", dimsValue.ToArray<long>())}].");
                dims[i] = (int)d;
            }
            var value = ctx.Input(1);
            if (value.ndim != 0) throw ctx.Error($"value must be a scalar, got shape {TensorShape.Format(value.Dims)}.");
            var result = ctx.AllocateUninitializedOutput(0, dims);
            var a = new FillAction(result, value);
            TypeSwitch.Any(value.dtype, ref a);
        });
        r.Register("ZerosLike", null, ctx => ctx.AllocateOutput(0, ctx.Input(0).Dims));
        r.Register("OnesLike", DataTypeExtensions.Numeric.Append(DataType.Bool).ToArray(), ctx =>
        {
            var x = ctx.Input(0);
            var a = new OnesAction(ctx.AllocateUninitializedOutput(0, x.Dims));
            TypeSwitch.Numeric(x.dtype == DataType.Bool ? DataType.UInt8 : x.dtype, ref a);
        });
        r.Register("Range", DataTypeExtensions.Signed, ctx => { var a = new RangeAction(ctx); TypeSwitch.Numeric(ctx.Input(0).dtype, ref a); });
        r.Register("LinSpace", DataTypeExtensions.Floating, ctx => { var a = new LinSpaceAction(ctx); TypeSwitch.Float(ctx.Input(0).dtype, ref a); });
        r.Register("AddN", DataTypeExtensions.Numeric, ctx => { var a = new AddNAction(ctx); TypeSwitch.Numeric(ctx.Input(0).dtype, ref a); });
    }

    /// <summary>Writes an int32 or int64 element.</summary>
    private static void SetInteger(TensorValue v, int i, long value)
    {
        if (v.Data is long[] l) l[i] = value;
        else ((int[])v.Data)[i] = checked((int)value);
    }

    /// <summary>Fills with one (true for bool, which shares uint8's one-byte layout).</summary>
    private readonly struct OnesAction(TensorValue result) : INumericAction
    {
        public void Invoke<T>() where T : unmanaged, INumber<T>
        {
            if (result.Data is bool[] b) Array.Fill(b, true);
            else Array.Fill(result.Buffer<T>(), T.One);
        }
    }

    internal static TensorValue ShapeValue(int[] dims, DataType type) => type == DataType.Int64
        ? TensorValue.Create(dims.Select(d => (long)d).ToArray(), dims.Length)
        : TensorValue.Create((int[])dims.Clone(), dims.Length);

    private readonly struct FillAction(TensorValue result, TensorValue value) : IAnyAction
    {
        public void Invoke<T>() => Array.Fill(result.Buffer<T>(), value.Buffer<T>()[0]);
    }

    private readonly struct RangeAction(KernelContext ctx) : INumericAction
    {
        public void Invoke<T>() where T : unmanaged, INumber<T>
        {
            T start = ctx.Input(0).item<T>(), limit = ctx.Input(1).item<T>(), delta = ctx.Input(2).item<T>();
            if (T.IsZero(delta)) throw ctx.Error("Requires delta != 0.");
            if (T.IsPositive(delta) ? start > limit : start < limit)
                throw ctx.Error($"Requires start <= limit when delta > 0 (and start >= limit when delta < 0): start {start}, limit {limit}, delta {delta}.");
            int n = ConstantOps.RangeLength(ctx.OutputType(0), double.CreateTruncating(start), double.CreateTruncating(limit), double.CreateTruncating(delta));
            var d = ctx.AllocateOutput(0, [n]).Buffer<T>();
            var v = start;
            for (int i = 0; i < n; i++, v += delta) d[i] = v;
        }
    }

    private readonly struct LinSpaceAction(KernelContext ctx) : IFloatAction
    {
        public void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            T start = ctx.Input(0).item<T>(), stop = ctx.Input(1).item<T>();
            int n = (int)ctx.Input(2).item<long>();
            if (n <= 0) throw ctx.Error($"Requires num > 0, got {n}.");
            var d = ctx.AllocateOutput(0, [n]).Buffer<T>();
            var step = n > 1 ? (stop - start) / T.CreateTruncating(n - 1) : T.Zero;
            for (int i = 0; i < n; i++) d[i] = start + T.CreateTruncating(i) * step;
            if (n > 1) d[n - 1] = stop;
        }
    }

    private readonly struct AddNAction(KernelContext ctx) : INumericAction
    {
        public void Invoke<T>() where T : unmanaged, INumber<T>
        {
            var first = ctx.Input(0);
            var d = ctx.AllocateOutput(0, first.Dims).Buffer<T>();
            first.Buffer<T>().CopyTo(d, 0);
            for (int i = 1; i < ctx.NumInputs; i++)
            {
                var x = ctx.Input(i);
                if (!x.Dims.AsSpan().SequenceEqual(first.Dims))
                    throw ctx.Error($"Inputs to AddN must all have the same shape: {TensorShape.Format(first.Dims)} vs {TensorShape.Format(x.Dims)}.");
                TP.Add<T>(d, x.Buffer<T>(), d);
            }
        }
    }
}
