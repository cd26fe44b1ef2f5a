using ILGPU;
using ILGPU.Runtime;
using static DataflowNet.Kernels.Gpu.GpuElementwiseKernels;
using static DataflowNet.Kernels.Gpu.GpuKernels;

using V = ILGPU.Runtime.ArrayView1D<float, ILGPU.Stride1D.Dense>;
using VB = ILGPU.Runtime.ArrayView1D<byte, ILGPU.Stride1D.Dense>;

namespace DataflowNet.Kernels.Gpu;

/// <summary>SelectV2, Cast, AddN and CheckNumerics: the math ops that are not one operator over one or two tensors.</summary>
internal static class GpuMathKernels
{
    public static void Register(KernelRegistry r, GpuDevice device)
    {
        RegisterSelect(r, device);
        RegisterCast(r, device);
        RegisterAddN(r, device);
        RegisterCheckNumerics(r, device);
    }

    // ----- SelectV2 -----

    /// <summary>SelectV2(condition, t, e): the three broadcast together, as the CPU; one thread per output element.</summary>
    private static void RegisterSelect(KernelRegistry r, GpuDevice device)
    {
        var kernel = new Lazy<Action<Index1D, VB, V, V, V, Shape6, Shape6, Shape6, Shape6, int>>(() =>
            device.Accelerator.LoadAutoGroupedStreamKernel<Index1D, VB, V, V, V, Shape6, Shape6, Shape6, Shape6, int>(SelectKernel));
        r.Register("SelectV2", F32, ctx =>
        {
            var (cond, t, e) = (ctx.Input(0), ctx.Input(1), ctx.Input(2));
            var outDims = Cpu.Broadcasting.Shape(Cpu.Broadcasting.Shape(t.Dims, e.Dims, ctx.Errors), cond.Dims, ctx.Errors);
            var y = ctx.AllocateDeviceOutput(0, device, outDims);
            if (y.size == 0) return;
            var s = BroadcastStrides(ctx, outDims, cond.Dims, t.Dims, e.Dims);
            kernel.Value(y.size, View<byte>(cond, ctx, 0), View(t, ctx, 1), View(e, ctx, 2), View(y, ctx, 0), Shape6.Of(outDims), s[0], s[1], s[2], outDims.Length);
        }, dtypeInput: 1);
        r.Register("Select", F32, ctx =>
        {
            var (cond, t, e) = (ctx.Input(0), ctx.Input(1), ctx.Input(2));
            var condDims = ArrayChecks.SelectConditionDims(ctx, cond, t, e);
            var y = ctx.AllocateDeviceOutput(0, device, t.Dims);
            if (y.size == 0) return;
            var s = BroadcastStrides(ctx, t.Dims, condDims, t.Dims, e.Dims);
            kernel.Value(y.size, View<byte>(cond, ctx, 0), View(t, ctx, 1), View(e, ctx, 2), View(y, ctx, 0), Shape6.Of(t.Dims), s[0], s[1], s[2], t.Dims.Length);
        }, dtypeInput: 1);
    }

    private static void SelectKernel(Index1D i, VB cond, V t, V e, V y, Shape6 dims, Shape6 sc, Shape6 st, Shape6 se, int rank) =>
        y[i] = cond[Offset(i, dims, sc, rank)] != 0 ? t[Offset(i, dims, st, rank)] : e[Offset(i, dims, se, rank)];

    // ----- Cast -----

    /// <summary>
    /// Cast from float32, int32, int64 or bool to the op's DstT, with the CPU's (TensorFlow's) semantics: float to
    /// integer truncates toward zero (saturating, NaN to 0, as .NET's conversions the CPU uses), integer narrowing
    /// keeps the low bits, anything to bool is x != 0. The CPU ignores the Truncate attr (it always truncates), so
    /// this does too. The placer sees only the source dtype, so every DstT a device buffer can hold is served:
    /// float64 too, and uint8 in a byte buffer (the layout bools use).
    /// </summary>
    private static void RegisterCast(KernelRegistry r, GpuDevice device)
    {
        var casts = new Dictionary<(DataType, DataType), Action<KernelContext, TensorValue, TensorValue>>
        {
            [(DataType.Float32, DataType.Float64)] = Convert<float, double, F32ToF64>(device),
            [(DataType.Float32, DataType.Int32)] = Convert<float, int, F32ToI32>(device),
            [(DataType.Float32, DataType.Int64)] = Convert<float, long, F32ToI64>(device),
            [(DataType.Float32, DataType.UInt8)] = Convert<float, byte, F32ToU8>(device),
            [(DataType.Float32, DataType.Bool)] = Convert<float, byte, F32ToBool>(device),
            [(DataType.Int32, DataType.Float32)] = Convert<int, float, I32ToF32>(device),
            [(DataType.Int32, DataType.Float64)] = Convert<int, double, I32ToF64>(device),
            [(DataType.Int32, DataType.Int64)] = Convert<int, long, I32ToI64>(device),
            [(DataType.Int32, DataType.UInt8)] = Convert<int, byte, I32ToU8>(device),
            [(DataType.Int32, DataType.Bool)] = Convert<int, byte, I32ToBool>(device),
            [(DataType.Int64, DataType.Float32)] = Convert<long, float, I64ToF32>(device),
            [(DataType.Int64, DataType.Float64)] = Convert<long, double, I64ToF64>(device),
            [(DataType.Int64, DataType.Int32)] = Convert<long, int, I64ToI32>(device),
            [(DataType.Int64, DataType.UInt8)] = Convert<long, byte, I64ToU8>(device),
            [(DataType.Int64, DataType.Bool)] = Convert<long, byte, I64ToBool>(device),
            [(DataType.Bool, DataType.Float32)] = Convert<byte, float, BoolToF32>(device),
            [(DataType.Bool, DataType.Float64)] = Convert<byte, double, BoolToF64>(device),
            [(DataType.Bool, DataType.Int32)] = Convert<byte, int, BoolToI32>(device),
            [(DataType.Bool, DataType.Int64)] = Convert<byte, long, BoolToI64>(device),
            [(DataType.Bool, DataType.UInt8)] = Convert<byte, byte, BoolToU8>(device),
        };
        r.Register("Cast", [DataType.Float32, DataType.Int32, DataType.Int64, DataType.Bool], ctx =>
        {
            var x = ctx.Input(0);
            var dst = ctx.Attr<DataType>("DstT");
            if (dst == x.dtype) { ctx.SetOutput(0, x); return; }
            if (!casts.TryGetValue((x.dtype, dst), out var cast))
                throw new InvalidArgumentException($"{ctx.OpName}: cannot convert a {x.dtype.Name()} value to {dst.Name()}."); // string, as the CPU
            TensorValue y;
            if (dst == DataType.UInt8)
            {
                // The device allocates no uint8 tensors by that name; uint8 and bool share one layout, a byte each.
                var buffer = device.Allocate(DataType.Bool, x.size, ctx.Self);
                ctx.SetOutput(0, y = new TensorValue(DataType.UInt8, (int[])x.Dims.Clone(), buffer));
            }
            else y = ctx.AllocateDeviceOutput(0, device, x.Dims, dst);
            if (x.size > 0) cast(ctx, x, y);
        });
    }

    private static Action<KernelContext, TensorValue, TensorValue> Convert<TIn, TOut, TOp>(GpuDevice device)
        where TIn : unmanaged where TOut : unmanaged where TOp : struct, IUnaryOp<TIn, TOut>
    {
        var kernel = new Lazy<Action<Index1D, ArrayView1D<TIn, Stride1D.Dense>, ArrayView1D<TOut, Stride1D.Dense>, TOp>>(() =>
            device.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView1D<TIn, Stride1D.Dense>, ArrayView1D<TOut, Stride1D.Dense>, TOp>(UnaryKernel<TIn, TOut, TOp>));
        return (ctx, x, y) => kernel.Value(x.size, View<TIn>(x, ctx, 0), View<TOut>(y, ctx, 0), default);
    }

    // Float to integer: toward zero, saturating at the type's range, NaN to 0 (what .NET's CreateTruncating gives the CPU).
    internal struct F32ToI32 : IUnaryOp<float, int>
    {
        public readonly int Apply(float x) => float.IsNaN(x) ? 0 : x >= 2147483648f ? int.MaxValue : x <= -2147483648f ? int.MinValue : (int)x;
    }
    internal struct F32ToI64 : IUnaryOp<float, long>
    {
        public readonly long Apply(float x) => float.IsNaN(x) ? 0 : x >= 9223372036854775808f ? long.MaxValue : x <= -9223372036854775808f ? long.MinValue : (long)x;
    }
    internal struct F32ToU8 : IUnaryOp<float, byte>
    {
        public readonly byte Apply(float x) => float.IsNaN(x) || x <= 0 ? (byte)0 : x >= 255f ? (byte)255 : (byte)(int)x;
    }
    internal struct F32ToF64 : IUnaryOp<float, double> { public readonly double Apply(float x) => x; }
    internal struct F32ToBool : IUnaryOp<float, byte> { public readonly byte Apply(float x) => x != 0 ? (byte)1 : (byte)0; }
    internal struct I32ToF32 : IUnaryOp<int, float> { public readonly float Apply(int x) => x; }
    internal struct I32ToF64 : IUnaryOp<int, double> { public readonly double Apply(int x) => x; }
    internal struct I32ToI64 : IUnaryOp<int, long> { public readonly long Apply(int x) => x; }
    internal struct I32ToU8 : IUnaryOp<int, byte> { public readonly byte Apply(int x) => (byte)(x & 0xFF); }
    internal struct I32ToBool : IUnaryOp<int, byte> { public readonly byte Apply(int x) => x != 0 ? (byte)1 : (byte)0; }
    internal struct I64ToF32 : IUnaryOp<long, float> { public readonly float Apply(long x) => x; }
    internal struct I64ToF64 : IUnaryOp<long, double> { public readonly double Apply(long x) => x; }
    internal struct I64ToI32 : IUnaryOp<long, int> { public readonly int Apply(long x) => unchecked((int)x); }
    internal struct I64ToU8 : IUnaryOp<long, byte> { public readonly byte Apply(long x) => (byte)(x & 0xFF); }
    internal struct I64ToBool : IUnaryOp<long, byte> { public readonly byte Apply(long x) => x != 0 ? (byte)1 : (byte)0; }
    internal struct BoolToF32 : IUnaryOp<byte, float> { public readonly float Apply(byte x) => x != 0 ? 1f : 0f; }
    internal struct BoolToF64 : IUnaryOp<byte, double> { public readonly double Apply(byte x) => x != 0 ? 1.0 : 0.0; }
    internal struct BoolToI32 : IUnaryOp<byte, int> { public readonly int Apply(byte x) => x != 0 ? 1 : 0; }
    internal struct BoolToI64 : IUnaryOp<byte, long> { public readonly long Apply(byte x) => x != 0 ? 1L : 0L; }
    internal struct BoolToU8 : IUnaryOp<byte, byte> { public readonly byte Apply(byte x) => x != 0 ? (byte)1 : (byte)0; }

    // ----- AddN -----

    private const int AddNArity = 8;

    /// <summary>
    /// The sum of N same-shape tensors in one pass for N ≤ 8 (kernel parameters cannot be an array of views, so a
    /// kernel takes eight); a larger N adds further groups of seven into the running sum.
    /// </summary>
    private static void RegisterAddN(KernelRegistry r, GpuDevice device)
    {
        var kernel = new Lazy<Action<Index1D, V, V, V, V, V, V, V, V, V, int>>(() =>
            device.Accelerator.LoadAutoGroupedStreamKernel<Index1D, V, V, V, V, V, V, V, V, V, int>(AddNKernel));
        r.Register("AddN", F32, ctx =>
        {
            var first = ctx.Input(0);
            for (int i = 1; i < ctx.NumInputs; i++)
                if (!ctx.Input(i).Dims.AsSpan().SequenceEqual(first.Dims))
                    throw ctx.Error($"Inputs to AddN must all have the same shape: {TensorShape.Format(first.Dims)} vs {TensorShape.Format(ctx.Input(i).Dims)}.");
            var y = ctx.AllocateDeviceOutput(0, device, first.Dims);
            if (y.size == 0) return;
            var output = View(y, ctx, 0);
            Span<V> group = new V[AddNArity];
            int next = 0;
            while (next < ctx.NumInputs)
            {
                int n = 0;
                if (next > 0) group[n++] = output; // the running sum
                while (n < AddNArity && next < ctx.NumInputs) { group[n++] = View(ctx.Input(next), ctx, next); next++; }
                for (int k = n; k < AddNArity; k++) group[k] = group[0]; // unread
                kernel.Value(y.size, output, group[0], group[1], group[2], group[3], group[4], group[5], group[6], group[7], n);
            }
        });
    }

    private static void AddNKernel(Index1D i, V y, V a0, V a1, V a2, V a3, V a4, V a5, V a6, V a7, int n)
    {
        float s = a0[i];
        if (n > 1) s += a1[i];
        if (n > 2) s += a2[i];
        if (n > 3) s += a3[i];
        if (n > 4) s += a4[i];
        if (n > 5) s += a5[i];
        if (n > 6) s += a6[i];
        if (n > 7) s += a7[i];
        y[i] = s;
    }

    // ----- CheckNumerics -----

    /// <summary>
    /// Passes its input through, or raises the CPU's error when any element is NaN or infinite: the device ORs one
    /// flag (1: NaN, 2: Inf) and only that int is downloaded, as the op must decide on the host whether to raise.
    /// </summary>
    private static void RegisterCheckNumerics(KernelRegistry r, GpuDevice device)
    {
        var kernel = new Lazy<Action<Index1D, V, ArrayView1D<int, Stride1D.Dense>>>(() =>
            device.Accelerator.LoadAutoGroupedStreamKernel<Index1D, V, ArrayView1D<int, Stride1D.Dense>>(NonFiniteKernel));
        r.Register("CheckNumerics", F32, ctx =>
        {
            var x = ctx.Input(0);
            if (x.size > 0)
            {
                using var flag = NewFlag(device, ctx, 0);
                kernel.Value(x.size, View(x, ctx, 0), flag.View);
                int found = ReadFlag(flag);
                bool nan = (found & 1) != 0, inf = (found & 2) != 0;
                if (nan || inf)
                    throw ctx.Error($"{ctx.Attr<string>("message")} : Tensor had {(nan && inf ? "NaN and Inf" : nan ? "NaN" : "Inf")} values");
            }
            ctx.SetOutput(0, x);
        });
    }

    private static void NonFiniteKernel(Index1D i, V x, ArrayView1D<int, Stride1D.Dense> flag)
    {
        float v = x[i];
        if (float.IsNaN(v)) Atomic.Or(ref flag[0], 1);
        else if (float.IsInfinity(v)) Atomic.Or(ref flag[0], 2);
    }
}
