using ILGPU;
using ILGPU.Runtime;
using static DataflowNet.Kernels.Gpu.GpuKernels;

using V = ILGPU.Runtime.ArrayView1D<float, ILGPU.Stride1D.Dense>;

namespace DataflowNet.Kernels.Gpu;

/// <summary>MatMul and BatchMatMulV2 by the tiled product kernel (<see cref="GpuGemm"/>); transposed operands (transpose_a/b, adj_x/y) are read in place; MatMul by cuBLAS where the machine has it.</summary>
internal static class GpuMatMulKernels
{
    public static void Register(KernelRegistry r, GpuDevice device)
    {
        var kernels = new GpuGemm.Kernels<MatMulProblem>(device);
        r.Register("MatMul", [DataType.Float32], ctx => MatMulOn(ctx, kernels, device));
        // BatchMatMulV2: the batch dims broadcast (numpy-style, as the CPU kernel); each output matrix is a slice.
        r.Register("BatchMatMulV2", F32, ctx =>
        {
            var (a, b) = (ctx.Input(0), ctx.Input(1));
            bool ta = ctx.Attr<bool>("adj_x"), tb = ctx.Attr<bool>("adj_y");
            if (a.ndim < 2 || b.ndim < 2) throw ctx.Error($"BatchMatMul needs inputs of rank >= 2, got {TensorShape.Format(a.Dims)} and {TensorShape.Format(b.Dims)}.");
            int[] ma = a.Dims[^2..], mb = b.Dims[^2..];
            int m = ta ? ma[1] : ma[0], ka = ta ? ma[0] : ma[1], kb = tb ? mb[1] : mb[0], n = tb ? mb[0] : mb[1];
            if (ka != kb)
                throw ctx.Error($"Matrix size-incompatible: In[0]: {TensorShape.Format(ma)}, In[1]: {TensorShape.Format(mb)} (transpose_a={ta}, transpose_b={tb}).");
            var batchA = a.Dims[..^2];
            var batchB = b.Dims[..^2];
            var batch = Cpu.Broadcasting.Shape(batchA, batchB, ctx.Errors);
            if (batch.Length > Shape6.MaxRank) throw ctx.Error($"GPU BatchMatMul supports {Shape6.MaxRank} batch dims at most, got {batch.Length}");
            var y = ctx.AllocateDeviceOutput(0, device, [.. batch, m, n]);
            if (y.size == 0) return;
            // Batch strides in matrices: 0 along a broadcast dim.
            Span<int> sa = stackalloc int[batch.Length], sb = stackalloc int[batch.Length];
            Cpu.Broadcasting.Strides(batchA, batch, sa);
            Cpu.Broadcasting.Strides(batchB, batch, sb);
            var problem = new MatMulProblem
            {
                M = m, N = n, K = ka, TransA = ta ? 1 : 0, TransB = tb ? 1 : 0, BatchRank = batch.Length, Count = ShapeUtil.Count(batch),
                BatchDims = Shape6.Of(batch), StrideA = Shape6.Of(sa), StrideB = Shape6.Of(sb),
            };
            kernels.Launch(ctx, View(a, ctx, 0), View(b, ctx, 1), View(y, ctx, 0), problem, "columns");
        });
    }

    private static void MatMulOn(KernelContext ctx, GpuGemm.Kernels<MatMulProblem> kernels, GpuDevice device)
    {
        var (a, b) = (ctx.Input(0), ctx.Input(1));
        bool ta = ctx.Attr<bool>("transpose_a"), tb = ctx.Attr<bool>("transpose_b");
        if (a.ndim != 2 || b.ndim != 2) throw ctx.Error($"MatMul takes matrices, got shapes {TensorShape.Format(a.Dims)} and {TensorShape.Format(b.Dims)}");
        int m = ta ? a.Dims[1] : a.Dims[0], kk = ta ? a.Dims[0] : a.Dims[1];
        int kb = tb ? b.Dims[1] : b.Dims[0], n = tb ? b.Dims[0] : b.Dims[1];
        if (kk != kb) throw ctx.Error($"Matrix size-incompatible: In[0]: {TensorShape.Format(a.Dims)}, In[1]: {TensorShape.Format(b.Dims)} (transpose_a={ta}, transpose_b={tb})");
        var y = ctx.AllocateDeviceOutput(0, device, [m, n]);
        if (m == 0 || n == 0) return;
        var blas = device.Blas;
        if (blas is not null && kk == 0)
        {
            View(y, ctx, 0).MemSetToZero(); // an empty sum, without relying on what SGEMM writes for k = 0
            return;
        }
        if (blas?.TryMatMul(View(a, ctx, 0), View(b, ctx, 1), View(y, ctx, 0), m, n, kk, ta, tb) == true) return;
        var problem = new MatMulProblem { M = m, N = n, K = kk, TransA = ta ? 1 : 0, TransB = tb ? 1 : 0, Count = 1 };
        kernels.Launch(ctx, View(a, ctx, 0), View(b, ctx, 1), View(y, ctx, 0), problem, "columns");
    }
}
