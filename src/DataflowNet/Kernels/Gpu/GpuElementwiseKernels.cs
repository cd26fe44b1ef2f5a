using ILGPU;
using ILGPU.Runtime;
using static DataflowNet.Kernels.Gpu.GpuKernels;

using V = ILGPU.Runtime.ArrayView1D<float, ILGPU.Stride1D.Dense>;

namespace DataflowNet.Kernels.Gpu;

/// <summary>
/// Elementwise kernels: an operator is a struct (GpuOperators.cs) and one generic kernel per arity serves them all,
/// generic over the input and output element types (comparisons map floats to bools, logical ops bools to bools);
/// ILGPU specializes it per struct, with no virtual calls on the device. Binary ops broadcast as NumPy.
/// </summary>
internal static class GpuElementwiseKernels
{
    private static readonly DataType[] Bool = [DataType.Bool];

    public static void Register(KernelRegistry r, GpuDevice device)
    {
        Binary<AddOp>(r, device, "AddV2", "Add", "BiasAdd");
        Binary<SubOp>(r, device, "Sub");
        Binary<MulOp>(r, device, "Mul");
        Binary<DivOp>(r, device, "RealDiv");
        Binary<MaxOp>(r, device, "Maximum");
        Binary<MinOp>(r, device, "Minimum");
        Binary<SquaredDifferenceOp>(r, device, "SquaredDifference");
        Binary<FloorDivOp>(r, device, "FloorDiv");
        Binary<FloorModOp>(r, device, "FloorMod");
        Binary<PowOp>(r, device, "Pow");

        // Gradient ops take two tensors of one shape, as the CPU's kernels check.
        Gradient<ReluGradOp>(r, device, "ReluGrad");
        Gradient<SigmoidGradOp>(r, device, "SigmoidGrad");
        Gradient<TanhGradOp>(r, device, "TanhGrad");
        Gradient<SqrtGradOp>(r, device, "SqrtGrad");
        Gradient<RsqrtGradOp>(r, device, "RsqrtGrad");
        Gradient<ReciprocalGradOp>(r, device, "ReciprocalGrad");
        Gradient<Relu6GradOp>(r, device, "Relu6Grad");
        Gradient<EluGradOp>(r, device, "EluGrad");
        Gradient<SoftplusGradOp>(r, device, "SoftplusGrad");
        Gradient(r, device, "LeakyReluGrad", ctx => new LeakyReluGradOp { Alpha = ctx.Self.TryGetAttr<float>("alpha", out var a) ? a : 0f });

        Binary<float, byte, LessOp>(r, device, F32, null, "Less");
        Binary<float, byte, LessEqualOp>(r, device, F32, null, "LessEqual");
        Binary<float, byte, GreaterOp>(r, device, F32, null, "Greater");
        Binary<float, byte, GreaterEqualOp>(r, device, F32, null, "GreaterEqual");
        Binary<float, byte, EqualOp>(r, device, F32, null, "Equal");
        Binary<float, byte, NotEqualOp>(r, device, F32, null, "NotEqual");
        Binary<byte, byte, LogicalAndOp>(r, device, Bool, null, "LogicalAnd");
        Binary<byte, byte, LogicalOrOp>(r, device, Bool, null, "LogicalOr");
        Unary<byte, byte, LogicalNotOp>(r, device, Bool, "LogicalNot", _ => default);

        Unary<NegOp>(r, device, "Neg");
        Unary<AbsOp>(r, device, "Abs");
        Unary<SignOp>(r, device, "Sign");
        Unary<SquareOp>(r, device, "Square");
        Unary<SqrtOp>(r, device, "Sqrt");
        Unary<RsqrtOp>(r, device, "Rsqrt");
        Unary<ExpOp>(r, device, "Exp");
        Unary<LogOp>(r, device, "Log");
        Unary<Log1pOp>(r, device, "Log1p");
        Unary<SinOp>(r, device, "Sin");
        Unary<CosOp>(r, device, "Cos");
        Unary<FloorOp>(r, device, "Floor");
        Unary<TanhOp>(r, device, "Tanh");
        Unary<SigmoidOp>(r, device, "Sigmoid");
        Unary<ReluOp>(r, device, "Relu");
        Unary<Relu6Op>(r, device, "Relu6");
        Unary<EluOp>(r, device, "Elu");
        Unary<SoftplusOp>(r, device, "Softplus");
        Unary<ReciprocalOp>(r, device, "Reciprocal");
        Unary<float, float, LeakyReluOp>(r, device, F32, "LeakyRelu", ctx => new LeakyReluOp { Alpha = ctx.Attr<float>("alpha") });
    }

    private static void Unary<TOp>(KernelRegistry r, GpuDevice device, string type) where TOp : struct, IUnaryOp =>
        Unary<float, float, TOp>(r, device, F32, type, _ => default);

    /// <summary>A unary op: <paramref name="make"/> builds its operator from the op's attributes.</summary>
    private static void Unary<TIn, TOut, TOp>(KernelRegistry r, GpuDevice device, DataType[] dtypes, string type, Func<KernelContext, TOp> make)
        where TIn : unmanaged where TOut : unmanaged where TOp : struct, IUnaryOp<TIn, TOut>
    {
        // Compiled on first use: ILGPU compiles one kernel per operator struct.
        var kernel = new Lazy<Action<Index1D, ArrayView1D<TIn, Stride1D.Dense>, ArrayView1D<TOut, Stride1D.Dense>, TOp>>(() =>
            device.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView1D<TIn, Stride1D.Dense>, ArrayView1D<TOut, Stride1D.Dense>, TOp>(UnaryKernel<TIn, TOut, TOp>));
        r.Register(type, dtypes, ctx =>
        {
            var x = ctx.Input(0);
            var op = make(ctx);
            var y = ctx.AllocateDeviceOutput(0, device, x.Dims);
            if (x.size > 0) kernel.Value(x.size, View<TIn>(x, ctx, 0), View<TOut>(y, ctx, 0), op);
        });
    }

    private static void Binary<TOp>(KernelRegistry r, GpuDevice device, params string[] types) where TOp : struct, IBinaryOp =>
        Binary<float, float, TOp>(r, device, F32, null, types);

    /// <summary>A gradient op: a float32 binary op whose two inputs must have one shape.</summary>
    private static void Gradient<TOp>(KernelRegistry r, GpuDevice device, string type) where TOp : struct, IBinaryOp =>
        Gradient<TOp>(r, device, type, _ => default);

    private static void Gradient<TOp>(KernelRegistry r, GpuDevice device, string type, Func<KernelContext, TOp> make) where TOp : struct, IBinaryOp =>
        Binary<float, float, TOp>(r, device, F32, ctx =>
        {
            var (a, b) = (ctx.Input(0), ctx.Input(1));
            if (!a.Dims.AsSpan().SequenceEqual(b.Dims))
                throw ctx.Error($"Both inputs must have the same shape, got {TensorShape.Format(a.Dims)} and {TensorShape.Format(b.Dims)}.");
            return make(ctx);
        }, type);

    /// <summary>
    /// A binary op with NumPy broadcasting: one thread per output element. <paramref name="make"/> (null: the
    /// operator's default) validates the inputs and builds the operator from the op's attributes.
    /// </summary>
    private static void Binary<TIn, TOut, TOp>(KernelRegistry r, GpuDevice device, DataType[] dtypes, Func<KernelContext, TOp>? make, params string[] types)
        where TIn : unmanaged where TOut : unmanaged where TOp : struct, IBinaryOp<TIn, TOut>
    {
        var acc = device.Accelerator;
        var same = new Lazy<Action<Index1D, ArrayView1D<TIn, Stride1D.Dense>, ArrayView1D<TIn, Stride1D.Dense>, ArrayView1D<TOut, Stride1D.Dense>, TOp>>(() =>
            acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView1D<TIn, Stride1D.Dense>, ArrayView1D<TIn, Stride1D.Dense>, ArrayView1D<TOut, Stride1D.Dense>, TOp>(SameShapeKernel<TIn, TOut, TOp>));
        var broadcast = new Lazy<Action<Index1D, ArrayView1D<TIn, Stride1D.Dense>, ArrayView1D<TIn, Stride1D.Dense>, ArrayView1D<TOut, Stride1D.Dense>, Shape6, Shape6, Shape6, int, TOp>>(() =>
            acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView1D<TIn, Stride1D.Dense>, ArrayView1D<TIn, Stride1D.Dense>, ArrayView1D<TOut, Stride1D.Dense>, Shape6, Shape6, Shape6, int, TOp>(
                BroadcastKernel<TIn, TOut, TOp>));
        foreach (var type in types)
            r.Register(type, dtypes, ctx =>
            {
                var (a, b) = (ctx.Input(0), ctx.Input(1));
                var op = make is null ? default : make(ctx);
                var bDims = b.Dims;
                // BiasAdd is a broadcast add along the channel axis: the last one (NHWC), or axis 1 (NCHW): bias seen as [C, 1, 1].
                if (type == "BiasAdd" && NnChecks.BiasAddChannel(ctx, a, b) == 1 && a.ndim > 2)
                    bDims = [b.size, .. Enumerable.Repeat(1, a.ndim - 2)];
                var outDims = Cpu.Broadcasting.Shape(a.Dims, bDims, ctx.Errors);
                var y = ctx.AllocateDeviceOutput(0, device, outDims);
                if (y.size == 0) return;
                if (a.Dims.AsSpan().SequenceEqual(bDims))
                {
                    same.Value(y.size, View<TIn>(a, ctx, 0), View<TIn>(b, ctx, 1), View<TOut>(y, ctx, 0), op);
                    return;
                }
                var s = BroadcastStrides(ctx, outDims, a.Dims, bDims);
                broadcast.Value(y.size, View<TIn>(a, ctx, 0), View<TIn>(b, ctx, 1), View<TOut>(y, ctx, 0), Shape6.Of(outDims), s[0], s[1], outDims.Length, op);
            });
    }

    /// <summary>The element strides of each input seen as <paramref name="outDims"/> (0 on broadcast axes), as kernels take them.</summary>
    internal static Shape6[] BroadcastStrides(KernelContext ctx, int[] outDims, params int[][] inputs)
    {
        if (outDims.Length > Shape6.MaxRank) throw ctx.Error($"GPU broadcasting supports rank {Shape6.MaxRank} at most, got {outDims.Length}");
        Span<int> strides = stackalloc int[outDims.Length];
        var result = new Shape6[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            Cpu.Broadcasting.Strides(inputs[i], outDims, strides);
            result[i] = Shape6.Of(strides);
        }
        return result;
    }

    /// <summary>The offset into an input with <paramref name="strides"/> of output element <paramref name="i"/> of <paramref name="dims"/>.</summary>
    internal static int Offset(int i, Shape6 dims, Shape6 strides, int rank)
    {
        int rem = i, off = 0;
        for (int d = rank - 1; d >= 0; d--)
        {
            int n = dims.Get(d);
            off += rem % n * strides.Get(d);
            rem /= n;
        }
        return off;
    }

    internal static void UnaryKernel<TOp>(Index1D i, V x, V y, TOp op) where TOp : struct, IUnaryOp => y[i] = op.Apply(x[i]);

    internal static void UnaryKernel<TIn, TOut, TOp>(Index1D i, ArrayView1D<TIn, Stride1D.Dense> x, ArrayView1D<TOut, Stride1D.Dense> y, TOp op)
        where TIn : unmanaged where TOut : unmanaged where TOp : struct, IUnaryOp<TIn, TOut> => y[i] = op.Apply(x[i]);

    internal static void SameShapeKernel<TOp>(Index1D i, V a, V b, V y, TOp op) where TOp : struct, IBinaryOp => y[i] = op.Apply(a[i], b[i]);

    internal static void SameShapeKernel<TIn, TOut, TOp>(Index1D i, ArrayView1D<TIn, Stride1D.Dense> a, ArrayView1D<TIn, Stride1D.Dense> b, ArrayView1D<TOut, Stride1D.Dense> y, TOp op)
        where TIn : unmanaged where TOut : unmanaged where TOp : struct, IBinaryOp<TIn, TOut> => y[i] = op.Apply(a[i], b[i]);

    private static void BroadcastKernel<TIn, TOut, TOp>(Index1D i, ArrayView1D<TIn, Stride1D.Dense> a, ArrayView1D<TIn, Stride1D.Dense> b, ArrayView1D<TOut, Stride1D.Dense> y,
                                                        Shape6 dims, Shape6 strideA, Shape6 strideB, int rank, TOp op)
        where TIn : unmanaged where TOut : unmanaged where TOp : struct, IBinaryOp<TIn, TOut>
    {
        var at = Shape6.BroadcastOffsets(i, dims, strideA, strideB, rank);
        y[i] = op.Apply(a[at.A], b[at.B]);
    }
}
