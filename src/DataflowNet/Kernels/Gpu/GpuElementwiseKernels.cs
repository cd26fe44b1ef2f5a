using ILGPU;
using ILGPU.Runtime;
using static DataflowNet.Kernels.Gpu.GpuKernels;

using V = ILGPU.Runtime.ArrayView1D<float, ILGPU.Stride1D.Dense>;

namespace DataflowNet.Kernels.Gpu;

/// <summary>Elementwise kernels: an operator is a struct (GpuOperators.cs) and one generic kernel per arity serves them all; ILGPU specializes it per struct, with no virtual calls on the device.</summary>
internal static class GpuElementwiseKernels
{
    public static void Register(KernelRegistry r, GpuDevice device)
    {
        var acc = device.Accelerator;
        Binary<AddOp>(r, acc, device, "AddV2", "Add", "BiasAdd");
        Binary<SubOp>(r, acc, device, "Sub");
        Binary<MulOp>(r, acc, device, "Mul");
        Binary<DivOp>(r, acc, device, "RealDiv");
        Binary<MaxOp>(r, acc, device, "Maximum");
        Binary<MinOp>(r, acc, device, "Minimum");
        Binary<SquaredDifferenceOp>(r, acc, device, "SquaredDifference");
        Binary<ReluGradOp>(r, acc, device, "ReluGrad");
        Binary<SigmoidGradOp>(r, acc, device, "SigmoidGrad");
        Binary<TanhGradOp>(r, acc, device, "TanhGrad");
        Unary<NegOp>(r, acc, device, "Neg");
        Unary<AbsOp>(r, acc, device, "Abs");
        Unary<SquareOp>(r, acc, device, "Square");
        Unary<SqrtOp>(r, acc, device, "Sqrt");
        Unary<ExpOp>(r, acc, device, "Exp");
        Unary<LogOp>(r, acc, device, "Log");
        Unary<TanhOp>(r, acc, device, "Tanh");
        Unary<SigmoidOp>(r, acc, device, "Sigmoid");
        Unary<ReluOp>(r, acc, device, "Relu");
        Unary<ReciprocalOp>(r, acc, device, "Reciprocal");
    }

    private static void Unary<TOp>(KernelRegistry r, Accelerator acc, GpuDevice device, string type) where TOp : struct, IUnaryOp
    {
        // Compiled on first use: ILGPU compiles one kernel per operator struct.
        var kernel = new Lazy<Action<Index1D, V, V, TOp>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, V, TOp>(UnaryKernel<TOp>));
        r.Register(type, [DataType.Float32], ctx =>
        {
            var x = ctx.Input(0);
            var y = ctx.AllocateDeviceOutput(0, device, x.Dims);
            if (x.size > 0) kernel.Value(x.size, View(x, ctx, 0), View(y, ctx, 0), default);
        });
    }

    private static void Binary<TOp>(KernelRegistry r, Accelerator acc, GpuDevice device, params string[] types) where TOp : struct, IBinaryOp
    {
        var same = new Lazy<Action<Index1D, V, V, V, TOp>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, V, V, TOp>(SameShapeKernel<TOp>));
        var broadcast = new Lazy<Action<Index1D, V, V, V, Shape6, Shape6, Shape6, int, TOp>>(() =>
            acc.LoadAutoGroupedStreamKernel<Index1D, V, V, V, Shape6, Shape6, Shape6, int, TOp>(BroadcastKernel<TOp>));
        foreach (var type in types)
            r.Register(type, [DataType.Float32], ctx =>
            {
                var (a, b) = (ctx.Input(0), ctx.Input(1));
                var bDims = b.Dims;
                // BiasAdd is a broadcast add along the channel axis: the last one (NHWC), or axis 1 (NCHW): bias seen as [C, 1, 1].
                if (type == "BiasAdd" && ctx.Attr<string>("data_format") == "NCHW" && a.ndim > 2)
                    bDims = [b.size, .. Enumerable.Repeat(1, a.ndim - 2)];
                var outDims = Cpu.Broadcasting.Shape(a.Dims, bDims, ctx.Errors);
                var y = ctx.AllocateDeviceOutput(0, device, outDims);
                if (y.size == 0) return;
                if (a.Dims.AsSpan().SequenceEqual(bDims))
                {
                    same.Value(y.size, View(a, ctx, 0), View(b, ctx, 1), View(y, ctx, 0), default);
                    return;
                }
                if (outDims.Length > Shape6.MaxRank) throw ctx.Error($"GPU broadcasting supports rank {Shape6.MaxRank} at most, got {outDims.Length}");
                Span<int> sa = stackalloc int[outDims.Length], sb = stackalloc int[outDims.Length];
                Cpu.Broadcasting.Strides(a.Dims, outDims, sa);
                Cpu.Broadcasting.Strides(bDims, outDims, sb);
                broadcast.Value(y.size, View(a, ctx, 0), View(b, ctx, 1), View(y, ctx, 0), Shape6.Of(outDims), Shape6.Of(sa), Shape6.Of(sb), outDims.Length, default);
            });
    }

    internal static void UnaryKernel<TOp>(Index1D i, V x, V y, TOp op) where TOp : struct, IUnaryOp =>
        y[i] = op.Apply(x[i]);

    internal static void SameShapeKernel<TOp>(Index1D i, V a, V b, V y, TOp op)
        where TOp : struct, IBinaryOp => y[i] = op.Apply(a[i], b[i]);

    private static void BroadcastKernel<TOp>(Index1D i, V a, V b, V y,
                                             Shape6 dims, Shape6 strideA, Shape6 strideB, int rank, TOp op) where TOp : struct, IBinaryOp
    {
        int rem = i, offA = 0, offB = 0;
        for (int d = rank - 1; d >= 0; d--)
        {
            int n = dims.Get(d);
            int c = rem % n;
            rem /= n;
            offA += c * strideA.Get(d);
            offB += c * strideB.Get(d);
        }
        y[i] = op.Apply(a[offA], b[offB]);
    }
}
