using ILGPU;
using ILGPU.Runtime;
using static DataflowNet.Kernels.Gpu.GpuKernels;

using V = ILGPU.Runtime.ArrayView1D<float, ILGPU.Stride1D.Dense>;

namespace DataflowNet.Kernels.Gpu;

/// <summary>
/// Reductions over any set of axes (axes read on the host), one generic kernel specialized per reduction operator
/// (<see cref="IReduction{T}"/>): Sum, Mean, Max, Min, Prod and L2Loss on float32, All and Any on bools (bytes).
/// The input is read in place with strides: the kept axes pick an output element, the reduced axes are walked. Few
/// outputs over long reductions get a thread group each (a tree in shared memory); otherwise one thread per output.
/// ArgMax/ArgMin: one thread per output element, ties and NaN as the CPU (the first index).
/// </summary>
internal static class GpuReductionKernels
{
    public static void Register(KernelRegistry r, GpuDevice device)
    {
        var acc = device.Accelerator;
        r.Register("Sum", F32, Reduce<float, SumReduction>(acc, device), hostMemory: [1]);
        r.Register("Mean", F32, Reduce<float, MeanReduction>(acc, device), hostMemory: [1]);
        r.Register("Max", F32, Reduce<float, MaxReduction>(acc, device), hostMemory: [1]);
        r.Register("Min", F32, Reduce<float, MinReduction>(acc, device), hostMemory: [1]);
        r.Register("Prod", F32, Reduce<float, ProdReduction>(acc, device), hostMemory: [1]);
        r.Register("All", [DataType.Bool], Reduce<byte, AllReduction>(acc, device), hostMemory: [1]);
        r.Register("Any", [DataType.Bool], Reduce<byte, AnyReduction>(acc, device), hostMemory: [1]);
        r.Register("L2Loss", F32, Reduce<float, HalfSumOfSquares>(acc, device, allAxes: true));
        r.Register("ArgMax", F32, Arg(acc, device, max: true), hostMemory: [1]);
        r.Register("ArgMin", F32, Arg(acc, device, max: false), hostMemory: [1]);
    }

    /// <summary>Threads per group of the grouped kernel (the most ILGPU's CPU accelerator offers, as the tests run it).</summary>
    private const int GroupSize = 256;

    /// <summary>Reductions at least this long get a thread group per output element.</summary>
    private const int GroupedFrom = 256;

    /// <summary>Which elements an output element reduces: dims and strides of the kept and the reduced axes.</summary>
    private readonly record struct Plan(int[] OutDims, Shape6 KeptDims, Shape6 KeptStrides, int KeptRank,
                                        Shape6 RedDims, Shape6 RedStrides, int RedRank, int Count);

    private static Plan Analyse(KernelContext ctx, TensorValue x, bool allAxes)
    {
        // L2Loss reduces everything: the input seen as one flat axis.
        if (allAxes) return new Plan([], default, default, 0, Shape6.Of([x.size]), Shape6.Of([1]), 1, x.size);
        int rank = x.ndim;
        if (rank > Shape6.MaxRank) throw ctx.Error($"GPU reductions support rank {Shape6.MaxRank} at most, got {rank}");
        Span<bool> reduce = stackalloc bool[rank];
        var axes = ctx.Input(1); // host memory
        for (int i = 0; i < axes.size; i++) ShapeUtil.MarkReducedAxis((int)axes.LongAt(i), reduce, ctx.Errors);
        bool keep = ctx.Attr<bool>("keep_dims");
        Span<int> strides = stackalloc int[rank];
        for (int d = rank - 1, s = 1; d >= 0; d--) { strides[d] = s; s *= x.Dims[d]; }
        var kept = new List<int>(); var keptStrides = new List<int>(); var red = new List<int>(); var redStrides = new List<int>();
        var outDims = new List<int>();
        for (int d = 0; d < rank; d++)
        {
            if (reduce[d]) { red.Add(x.Dims[d]); redStrides.Add(strides[d]); if (keep) outDims.Add(1); }
            else { kept.Add(x.Dims[d]); keptStrides.Add(strides[d]); outDims.Add(x.Dims[d]); }
        }
        int count = 1;
        foreach (var n in red) count *= n;
        return new Plan(outDims.ToArray(), Shape6.Of(kept.ToArray()), Shape6.Of(keptStrides.ToArray()), kept.Count,
                        Shape6.Of(red.ToArray()), Shape6.Of(redStrides.ToArray()), red.Count, count);
    }

    private static Kernel Reduce<T, TR>(Accelerator acc, GpuDevice device, bool allAxes = false)
        where T : unmanaged where TR : struct, IReduction<T>
    {
        var perThread = new Lazy<Action<Index1D, ArrayView1D<T, Stride1D.Dense>, ArrayView1D<T, Stride1D.Dense>, Shape6, Shape6, int, Shape6, Shape6, int, int, TR>>(() =>
            acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView1D<T, Stride1D.Dense>, ArrayView1D<T, Stride1D.Dense>, Shape6, Shape6, int, Shape6, Shape6, int, int, TR>(ReduceKernel<T, TR>));
        var grouped = new Lazy<Action<KernelConfig, ArrayView1D<T, Stride1D.Dense>, ArrayView1D<T, Stride1D.Dense>, Shape6, Shape6, int, Shape6, Shape6, int, int, TR>>(() =>
            acc.LoadStreamKernel<ArrayView1D<T, Stride1D.Dense>, ArrayView1D<T, Stride1D.Dense>, Shape6, Shape6, int, Shape6, Shape6, int, int, TR>(GroupReduceKernel<T, TR>));
        return ctx =>
        {
            var x = ctx.Input(0);
            var p = Analyse(ctx, x, allAxes);
            var y = ctx.AllocateDeviceOutput(0, device, p.OutDims);
            if (y.size == 0) return;
            var (xv, yv) = (View<T>(x, ctx, 0), View<T>(y, ctx, 0));
            if (p.Count >= GroupedFrom)
                grouped.Value(new KernelConfig(y.size, GroupSize), xv, yv, p.KeptDims, p.KeptStrides, p.KeptRank, p.RedDims, p.RedStrides, p.RedRank, p.Count, default);
            else
                perThread.Value(y.size, xv, yv, p.KeptDims, p.KeptStrides, p.KeptRank, p.RedDims, p.RedStrides, p.RedRank, p.Count, default);
        };
    }

    /// <summary>The offset of the first element output <paramref name="o"/> reduces (the kept axes' part).</summary>
    private static int KeptOffset(int o, Shape6 dims, Shape6 strides, int rank)
    {
        int rem = o, offset = 0;
        for (int d = rank - 1; d >= 0; d--)
        {
            int n = dims.Get(d);
            offset += rem % n * strides.Get(d);
            rem /= n;
        }
        return offset;
    }

    private static void ReduceKernel<T, TR>(Index1D o, ArrayView1D<T, Stride1D.Dense> x, ArrayView1D<T, Stride1D.Dense> y,
                                            Shape6 keptDims, Shape6 keptStrides, int keptRank, Shape6 redDims, Shape6 redStrides, int redRank, int count, TR op)
        where T : unmanaged where TR : struct, IReduction<T>
    {
        int baseOffset = KeptOffset(o, keptDims, keptStrides, keptRank);
        T acc = op.Identity();
        for (int r = 0; r < count; r++) acc = op.Combine(acc, op.Map(x[baseOffset + KeptOffset(r, redDims, redStrides, redRank)]));
        y[o] = op.Finish(acc, count);
    }

    /// <summary>One group per output element: each thread reduces a strided share, then a tree in shared memory.</summary>
    private static void GroupReduceKernel<T, TR>(ArrayView1D<T, Stride1D.Dense> x, ArrayView1D<T, Stride1D.Dense> y,
                                                 Shape6 keptDims, Shape6 keptStrides, int keptRank, Shape6 redDims, Shape6 redStrides, int redRank, int count, TR op)
        where T : unmanaged where TR : struct, IReduction<T>
    {
        var partial = SharedMemory.Allocate1D<T>(GroupSize);
        int o = Grid.IdxX, t = Group.IdxX;
        int baseOffset = KeptOffset(o, keptDims, keptStrides, keptRank);
        T acc = op.Identity();
        for (long r = t; r < count; r += GroupSize) acc = op.Combine(acc, op.Map(x[baseOffset + KeptOffset((int)r, redDims, redStrides, redRank)])); // long: r + GroupSize may pass int.MaxValue
        partial[t] = acc;
        Group.Barrier();
        for (int s = GroupSize / 2; s > 0; s >>= 1)
        {
            if (t < s) partial[t] = op.Combine(partial[t], partial[t + s]);
            Group.Barrier();
        }
        if (t == 0) y[o] = op.Finish(partial[0], count);
    }

    private static Kernel Arg(Accelerator acc, GpuDevice device, bool max)
    {
        var i32 = new Lazy<Action<Index1D, V, ArrayView1D<int, Stride1D.Dense>, int, int, int>>(() =>
            acc.LoadAutoGroupedStreamKernel<Index1D, V, ArrayView1D<int, Stride1D.Dense>, int, int, int>(ArgKernel32));
        var i64 = new Lazy<Action<Index1D, V, ArrayView1D<long, Stride1D.Dense>, int, int, int>>(() =>
            acc.LoadAutoGroupedStreamKernel<Index1D, V, ArrayView1D<long, Stride1D.Dense>, int, int, int>(ArgKernel64));
        return ctx =>
        {
            var x = ctx.Input(0);
            int axis = ShapeUtil.NormalizeAxis((int)ctx.Input(1).item<long>(), x.ndim, ctx.Errors); // host memory
            var (_, n, inner) = Cpu.Layout.Around(x.Dims, axis);
            if (n == 0) throw ctx.Error($"Reduction axis {axis} is empty in shape {TensorShape.Format(x.Dims)}.");
            var outDims = x.Dims.Where((_, i) => i != axis).ToArray();
            var y = ctx.AllocateDeviceOutput(0, device, outDims);
            if (y.size == 0) return;
            if (ctx.OutputType(0) == DataType.Int64) i64.Value(y.size, View(x, ctx, 0), View<long>(y, ctx, 0), n, inner, max ? 1 : 0);
            else i32.Value(y.size, View(x, ctx, 0), View<int>(y, ctx, 0), n, inner, max ? 1 : 0);
        };
    }

    private static void ArgKernel32(Index1D o, V x, ArrayView1D<int, Stride1D.Dense> y, int n, int inner, int max) => y[o] = ArgIndex(o, x, n, inner, max);

    private static void ArgKernel64(Index1D o, V x, ArrayView1D<long, Stride1D.Dense> y, int n, int inner, int max) => y[o] = ArgIndex(o, x, n, inner, max);

    /// <summary>
    /// As the CPU kernel and TensorFlow: the first value strictly beyond every earlier one, starting from index 0. A NaN
    /// is never taken, and of equal values (−0 and +0 included) the first wins.
    /// </summary>
    private static int ArgIndex(int o, V x, int n, int inner, int max)
    {
        int start = o / inner * n * inner + o % inner;
        float best = x[start];
        bool found = !float.IsNaN(best);
        int at = 0;
        for (int j = 1; j < n; j++)
        {
            float v = x[start + j * inner];
            bool better = !found ? !float.IsNaN(v) : max != 0 ? v > best : v < best;
            if (better) { best = v; at = j; found = true; }
        }
        return at;
    }

    internal static bool IsNegativeZero(float v) => v == 0 && 1f / v < 0;
}

/// <summary>
/// A reduction for the generic kernels: each element is mapped, combined with the accumulator (an associative,
/// commutative operation, so the grouped kernel may combine partial results in any order), and the total finished.
/// </summary>
internal interface IReduction<T> where T : unmanaged
{
    T Identity();
    T Map(T x);
    T Combine(T a, T b);
    T Finish(T total, int count);
}

internal struct SumReduction : IReduction<float>
{
    public readonly float Identity() => 0f;
    public readonly float Map(float x) => x;
    public readonly float Combine(float a, float b) => a + b;
    public readonly float Finish(float total, int count) => total;
}

/// <summary>The sum over the count: NaN for an empty reduction, as the CPU.</summary>
internal struct MeanReduction : IReduction<float>
{
    public readonly float Identity() => 0f;
    public readonly float Map(float x) => x;
    public readonly float Combine(float a, float b) => a + b;
    public readonly float Finish(float total, int count) => total / count;
}

internal struct ProdReduction : IReduction<float>
{
    public readonly float Identity() => 1f;
    public readonly float Map(float x) => x;
    public readonly float Combine(float a, float b) => a * b;
    public readonly float Finish(float total, int count) => total;
}

/// <summary>IEEE maximum as TensorPrimitives.Max: NaN wins, +0 above −0; −inf for an empty reduction.</summary>
internal struct MaxReduction : IReduction<float>
{
    public readonly float Identity() => float.NegativeInfinity;
    public readonly float Map(float x) => x;
    public readonly float Combine(float a, float b)
    {
        if (float.IsNaN(a)) return a;
        if (float.IsNaN(b)) return b;
        if (a == b) return GpuReductionKernels.IsNegativeZero(a) ? b : a;
        return a > b ? a : b;
    }
    public readonly float Finish(float total, int count) => total;
}

/// <summary>IEEE minimum as TensorPrimitives.Min: NaN wins, −0 below +0; +inf for an empty reduction.</summary>
internal struct MinReduction : IReduction<float>
{
    public readonly float Identity() => float.PositiveInfinity;
    public readonly float Map(float x) => x;
    public readonly float Combine(float a, float b)
    {
        if (float.IsNaN(a)) return a;
        if (float.IsNaN(b)) return b;
        if (a == b) return GpuReductionKernels.IsNegativeZero(a) ? a : b;
        return a < b ? a : b;
    }
    public readonly float Finish(float total, int count) => total;
}

/// <summary>L2Loss: Σx² / 2.</summary>
internal struct HalfSumOfSquares : IReduction<float>
{
    public readonly float Identity() => 0f;
    public readonly float Map(float x) => x * x;
    public readonly float Combine(float a, float b) => a + b;
    public readonly float Finish(float total, int count) => total / 2f;
}

/// <summary>Bools as bytes 0/1: true for an empty reduction.</summary>
internal struct AllReduction : IReduction<byte>
{
    public readonly byte Identity() => 1;
    public readonly byte Map(byte x) => x;
    public readonly byte Combine(byte a, byte b) => (byte)(a & b);
    public readonly byte Finish(byte total, int count) => total;
}

/// <summary>Bools as bytes 0/1: false for an empty reduction.</summary>
internal struct AnyReduction : IReduction<byte>
{
    public readonly byte Identity() => 0;
    public readonly byte Map(byte x) => x;
    public readonly byte Combine(byte a, byte b) => (byte)(a | b);
    public readonly byte Finish(byte total, int count) => total;
}
