using ILGPU;
using ILGPU.Runtime;
using static DataflowNet.Kernels.Gpu.GpuKernels;

using V = ILGPU.Runtime.ArrayView1D<float, ILGPU.Stride1D.Dense>;

namespace DataflowNet.Kernels.Gpu;

/// <summary>Reductions over any set of axes: one thread per output element, strides for the reduced axes.</summary>
internal static class GpuReductionKernels
{
    public static void Register(KernelRegistry r, GpuDevice device)
    {
        var acc = device.Accelerator;
        r.Register("Sum", [DataType.Float32], Reduce(acc, device, mean: false), hostMemory: [1]);
        r.Register("Mean", [DataType.Float32], Reduce(acc, device, mean: true), hostMemory: [1]);
    }

    private static Kernel Reduce(Accelerator acc, GpuDevice device, bool mean)
    {
        var kernel = new Lazy<Action<Index1D, V, V, Shape6, Shape6, int, Shape6, Shape6, int, int, float>>(() =>
            acc.LoadAutoGroupedStreamKernel<Index1D, V, V, Shape6, Shape6, int, Shape6, Shape6, int, int, float>(ReduceKernel));
        return ctx => ReduceOn(ctx, kernel.Value, device, mean);
    }

    private static void ReduceOn(KernelContext ctx, Action<Index1D, V, V, Shape6, Shape6, int, Shape6, Shape6, int, int, float> kernel, GpuDevice device, bool mean)
    {
        var x = ctx.Input(0);
        var axes = ctx.Input(1); // host memory
        int rank = x.ndim;
        if (rank > Shape6.MaxRank) throw ctx.Error($"GPU reductions support rank {Shape6.MaxRank} at most, got {rank}");
        Span<bool> reduce = stackalloc bool[rank];
        for (int i = 0; i < axes.size; i++)
        {
            var a = (int)axes.LongAt(i);
            if (a < -rank || a >= rank) throw ctx.Error($"Invalid reduction dimension {a} for input with {rank} dimensions");
            reduce[a < 0 ? a + rank : a] = true;
        }
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
        var y = ctx.AllocateDeviceOutput(0, device, outDims.ToArray());
        if (y.size == 0) return;
        int count = 1;
        foreach (var n in red) count *= n;
        kernel(y.size, View(x, ctx, 0), View(y, ctx, 0), Shape6.Of(kept.ToArray()), Shape6.Of(keptStrides.ToArray()), kept.Count,
             Shape6.Of(red.ToArray()), Shape6.Of(redStrides.ToArray()), red.Count, count, mean && count > 0 ? 1f / count : 1f);
    }

    private static void ReduceKernel(Index1D o, V x, V y,
                                     Shape6 keptDims, Shape6 keptStrides, int keptRank, Shape6 redDims, Shape6 redStrides, int redRank, int count, float scale)
    {
        int rem = o, baseOffset = 0;
        for (int d = keptRank - 1; d >= 0; d--)
        {
            int n = keptDims.Get(d);
            baseOffset += rem % n * keptStrides.Get(d);
            rem /= n;
        }
        float sum = 0;
        for (int r = 0; r < count; r++)
        {
            int rr = r, off = baseOffset;
            for (int d = redRank - 1; d >= 0; d--)
            {
                int n = redDims.Get(d);
                off += rr % n * redStrides.Get(d);
                rr /= n;
            }
            sum += x[off];
        }
        y[o] = sum * scale;
    }
}
