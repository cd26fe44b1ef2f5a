using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DataflowNet.Kernels.Cpu;

/// <summary>Kernels of the ops that gradients emit: activation gradients, broadcast bookkeeping, scatters.</summary>
internal static class GradientKernels
{
    public static void Register(KernelRegistry r)
    {
        r.Register("SigmoidGrad", DataTypeExtensions.Floating, Pointwise<SigmoidGrad>());
        r.Register("TanhGrad", DataTypeExtensions.Floating, Pointwise<TanhGrad>());
        r.Register("SqrtGrad", DataTypeExtensions.Floating, Pointwise<SqrtGrad>());
        r.Register("RsqrtGrad", DataTypeExtensions.Floating, Pointwise<RsqrtGrad>());
        r.Register("ReciprocalGrad", DataTypeExtensions.Floating, Pointwise<ReciprocalGrad>());
        r.Register("ReluGrad", DataTypeExtensions.Floating, ctx =>
        {
            if (!ctx.Input(0).Dims.AsSpan().SequenceEqual(ctx.Input(1).Dims))
                throw ctx.Error($"Both inputs must have the same shape, got {TensorShape.Format(ctx.Input(0).Dims)} and {TensorShape.Format(ctx.Input(1).Dims)}.");
            var a = new ReluGradAction(ctx);
            TypeSwitch.Float(ctx.Input(0).dtype, ref a);
        });
        r.Register("Relu6Grad", DataTypeExtensions.Floating, Pointwise<Relu6Grad>());
        r.Register("EluGrad", DataTypeExtensions.Floating, Pointwise<EluGrad>());
        r.Register("SoftplusGrad", DataTypeExtensions.Floating, Pointwise<SoftplusGrad>());
        r.Register("LeakyReluGrad", DataTypeExtensions.Floating, Pointwise<LeakyReluGrad>());

        r.Register("BroadcastGradientArgs", [DataType.Int32, DataType.Int64], ctx =>
        {
            var (a, b) = (ctx.Input(0), ctx.Input(1));
            Span<int> s0 = stackalloc int[a.size];
            Span<int> s1 = stackalloc int[b.size];
            for (int i = 0; i < s0.Length; i++) s0[i] = (int)a.LongAt(i);
            for (int i = 0; i < s1.Length; i++) s1[i] = (int)b.LongAt(i);
            Span<int> outDims = stackalloc int[Math.Max(s0.Length, s1.Length)];
            Broadcasting.Shape(s0, s1, outDims, ctx.Errors);
            WriteAxes(ctx, 0, s0, outDims);
            WriteAxes(ctx, 1, s1, outDims);
        });
        r.Register("BroadcastTo", null, ctx =>
        {
            var x = ctx.Input(0);
            var shape = ctx.Input(1);
            Span<int> target = stackalloc int[shape.size];
            for (int i = 0; i < target.Length; i++) target[i] = (int)shape.LongAt(i);
            Span<int> outDims = stackalloc int[Math.Max(x.ndim, target.Length)];
            Broadcasting.Shape(x.Dims, target, outDims, ctx.Errors);
            if (!outDims.SequenceEqual(target))
                throw ctx.Error($"Cannot broadcast shape {TensorShape.Format(x.Dims)} to {TensorShape.Format(target)}.");
            var result = ctx.AllocateUninitializedOutput(0, target);
            var a = new BroadcastAction(x, result);
            TypeSwitch.Any(x.dtype, ref a);
        });
        r.Register("InvertPermutation", [DataType.Int32, DataType.Int64], ctx =>
        {
            var p = ctx.Input(0).ToArray<long>();
            var inv = new long[p.Length];
            for (int i = 0; i < p.Length; i++)
            {
                if (p[i] < 0 || p[i] >= p.Length) throw ctx.Error($"{p[i]} is not between 0 and {p.Length}.");
                inv[p[i]] = i;
            }
            ctx.SetOutput(0, ValueConversion.Convert(TensorValue.Create(inv, inv.Length), ctx.OutputType(0), ConversionMode.Truncating, ctx.OpName));
        });
        r.Register("ConcatOffset", null, ctx =>
        {
            var shapes = Enumerable.Range(1, ctx.NumInputs - 1).Select(i => ctx.Input(i).ToArray<long>()).ToArray();
            int axis = ShapeUtil.NormalizeAxis((int)ctx.Input(0).item<long>(), shapes[0].Length, ctx.Errors);
            long offset = 0;
            for (int i = 0; i < shapes.Length; i++)
            {
                var o = new long[shapes[i].Length];
                o[axis] = offset;
                offset += shapes[i][axis];
                ctx.SetOutput(i, ValueConversion.Convert(TensorValue.Create(o, o.Length), ctx.OutputType(i), ConversionMode.Truncating, ctx.OpName));
            }
        });
        r.Register("StridedSliceGrad", DataTypeExtensions.Numeric, ctx =>
        {
            int[] Ints(int i) => ctx.Input(i).ToArray<long>().Select(v => (int)v).ToArray();
            var dims = Ints(0);
            var spec = StridedSliceSpec.Resolve(dims, Ints(1), Ints(2), Ints(3), StridedSliceSpec.Masks(ctx.Self), ctx.Errors);
            var dy = ctx.Input(4);
            var a = new ScatterSliceAction(ctx, dy, dims, spec);
            TypeSwitch.Numeric(dy.dtype, ref a);
        });
        r.Register("UnsortedSegmentSum", DataTypeExtensions.Numeric, ctx => { var a = new SegmentSumAction(ctx); TypeSwitch.Numeric(ctx.Input(0).dtype, ref a); });
        r.Register("BiasAddGrad", DataTypeExtensions.Numeric, ctx => { var a = new BiasGradAction(ctx); TypeSwitch.Numeric(ctx.Input(0).dtype, ref a); });
    }

    /// <summary>Output <paramref name="output"/>: the axes of <paramref name="outDims"/> that broadcasting from <paramref name="from"/> stretched or added.</summary>
    private static void WriteAxes(KernelContext ctx, int output, ReadOnlySpan<int> from, ReadOnlySpan<int> outDims)
    {
        Span<int> axes = stackalloc int[outDims.Length];
        int n = GradUtil.ReductionAxes(from, outDims, axes);
        var result = ctx.AllocateUninitializedOutput(output, [n]);
        for (int i = 0; i < n; i++)
            if (result.Data is long[] l) l[i] = axes[i]; else ((int[])result.Data)[i] = axes[i];
    }

    /// <summary>dx from (a, b): (y, dy) for Sigmoid/Tanh/Sqrt/Rsqrt/Reciprocal; (dy, features) for the ReLU family.</summary>
    private interface IPointwiseGrad
    {
        static abstract T Apply<T>(T a, T b, T alpha) where T : unmanaged, IFloatingPointIeee754<T>;
    }
    private struct SigmoidGrad : IPointwiseGrad { public static T Apply<T>(T y, T dy, T _) where T : unmanaged, IFloatingPointIeee754<T> => dy * y * (T.One - y); }
    private struct TanhGrad : IPointwiseGrad { public static T Apply<T>(T y, T dy, T _) where T : unmanaged, IFloatingPointIeee754<T> => dy * (T.One - y * y); }
    private struct SqrtGrad : IPointwiseGrad { public static T Apply<T>(T y, T dy, T _) where T : unmanaged, IFloatingPointIeee754<T> => dy / (y + y); }
    private struct RsqrtGrad : IPointwiseGrad { public static T Apply<T>(T y, T dy, T _) where T : unmanaged, IFloatingPointIeee754<T> => -dy * y * y * y / (T.One + T.One); }
    private struct ReciprocalGrad : IPointwiseGrad { public static T Apply<T>(T y, T dy, T _) where T : unmanaged, IFloatingPointIeee754<T> => -dy * y * y; }
    /// <summary>dy where the ReLU's output is positive, else 0: a vectorized select, the hottest gradient of a ReLU network.</summary>
    private readonly struct ReluGradAction(KernelContext ctx) : IFloatAction
    {
        public void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var g = ctx.Input(0).Buffer<T>();
            var y = ctx.Input(1).Buffer<T>();
            var d = ctx.AllocateUninitializedOutput(0, ctx.Input(0).Dims).Buffer<T>();
            int i = 0;
            for (; i <= d.Length - Vector<T>.Count; i += Vector<T>.Count)
                Vector.ConditionalSelect(Vector.GreaterThan(new Vector<T>(y, i), Vector<T>.Zero), new Vector<T>(g, i), Vector<T>.Zero).CopyTo(d, i);
            for (; i < d.Length; i++) d[i] = y[i] > T.Zero ? g[i] : T.Zero;
        }
    }
    private struct Relu6Grad : IPointwiseGrad { public static T Apply<T>(T dy, T x, T _) where T : unmanaged, IFloatingPointIeee754<T> => x > T.Zero && x < T.CreateTruncating(6) ? dy : T.Zero; }
    private struct EluGrad : IPointwiseGrad { public static T Apply<T>(T dy, T y, T _) where T : unmanaged, IFloatingPointIeee754<T> => y < T.Zero ? dy * (y + T.One) : dy; }
    private struct SoftplusGrad : IPointwiseGrad { public static T Apply<T>(T dy, T x, T _) where T : unmanaged, IFloatingPointIeee754<T> => dy / (T.One + T.Exp(-x)); }
    private struct LeakyReluGrad : IPointwiseGrad { public static T Apply<T>(T dy, T x, T alpha) where T : unmanaged, IFloatingPointIeee754<T> => x > T.Zero ? dy : alpha * dy; }

    private static Kernel Pointwise<TOp>() where TOp : struct, IPointwiseGrad => ctx =>
    {
        var a = ctx.Input(0);
        var b = ctx.Input(1);
        if (!a.Dims.AsSpan().SequenceEqual(b.Dims))
            throw ctx.Error($"Both inputs must have the same shape, got {TensorShape.Format(a.Dims)} and {TensorShape.Format(b.Dims)}.");
        var action = new PointwiseAction<TOp>(ctx, a, b);
        TypeSwitch.Float(a.dtype, ref action);
    };

    private readonly struct PointwiseAction<TOp>(KernelContext ctx, TensorValue a, TensorValue b) : IFloatAction where TOp : struct, IPointwiseGrad
    {
        public void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var x = a.Buffer<T>();
            var y = b.Buffer<T>();
            var d = ctx.AllocateUninitializedOutput(0, a.Dims).Buffer<T>();
            var alpha = ctx.Self.TryGetAttr<float>("alpha", out var al) ? T.CreateTruncating(al) : T.Zero;
            for (int i = 0; i < d.Length; i++) d[i] = TOp.Apply(x[i], y[i], alpha);
        }
    }

    private readonly struct BroadcastAction(TensorValue x, TensorValue result) : IAnyAction
    {
        public void Invoke<T>() => Broadcasting.Into(x.Buffer<T>(), x.Dims, result.Buffer<T>(), result.Dims);
    }

    /// <summary>Adds dy into a zero tensor of the sliced input's shape, at the positions the slice read.</summary>
    private readonly struct ScatterSliceAction(KernelContext ctx, TensorValue dy, int[] dims, StridedSliceSpec spec) : INumericAction
    {
        public void Invoke<T>() where T : unmanaged, INumber<T>
        {
            var result = ctx.AllocateOutput(0, dims).Buffer<T>();
            var src = dy.Buffer<T>();
            if (src.Length != ShapeUtil.Count(spec.Counts))
                throw ctx.Error($"dy has {src.Length} elements but the slice selects {ShapeUtil.Count(spec.Counts)}.");
            if (src.Length == 0) return;
            var strides = ShapeUtil.Strides(dims);
            int rank = dims.Length;
            var idx = new int[rank];
            for (int i = 0; i < src.Length; i++)
            {
                int o = 0;
                for (int k = 0; k < rank; k++) o += (spec.Starts[k] + idx[k] * spec.Steps[k]) * strides[k];
                result[o] += src[i];
                for (int k = rank - 1; k >= 0; k--)
                {
                    if (++idx[k] < spec.Counts[k]) break;
                    idx[k] = 0;
                }
            }
        }
    }

    /// <summary>output[segment_ids[i], …] += data[i, …]; rows with an id outside [0, num_segments) are an error.</summary>
    private readonly struct SegmentSumAction(KernelContext ctx) : INumericAction
    {
        public void Invoke<T>() where T : unmanaged, INumber<T>
        {
            var data = ctx.Input(0);
            var ids = ctx.Input(1).ToArray<long>();
            int n = (int)ctx.Input(2).item<long>();
            int inner = ids.Length == 0 ? 0 : data.size / ids.Length;
            var outDims = new[] { n }.Concat(data.Dims[ctx.Input(1).ndim..]).ToArray();
            var result = ctx.AllocateOutput(0, outDims).Buffer<T>();
            var src = data.Buffer<T>();
            for (int i = 0; i < ids.Length; i++)
            {
                if (ids[i] < 0 || ids[i] >= n) throw ctx.Error($"segment_ids[{i}] = {ids[i]} is out of range [0, {n}).");
                var dst = result.AsSpan((int)ids[i] * inner, inner);
                TP.Add<T>(dst, src.AsSpan(i * inner, inner), dst);
            }
        }
    }

    private readonly struct BiasGradAction(KernelContext ctx) : INumericAction
    {
        public void Invoke<T>() where T : unmanaged, INumber<T>
        {
            var g = ctx.Input(0);
            bool nchw = ctx.Attr<string>("data_format") == "NCHW";
            int channel = nchw ? 1 : g.ndim - 1;
            int c = g.Dims[channel];
            var result = ctx.AllocateOutput(0, [c]).Buffer<T>();
            var src = g.Buffer<T>();
            if (!nchw)
            {
                for (int o = 0; o < src.Length; o += c) TP.Add<T>(result, src.AsSpan(o, c), result);
                return;
            }
            var (outer, _, inner) = Layout.Around(g.Dims, channel);
            for (int o = 0; o < outer; o++)
                for (int k = 0; k < c; k++)
                    result[k] += TP.Sum<T>(src.AsSpan((o * c + k) * inner, inner));
        }
    }
}
