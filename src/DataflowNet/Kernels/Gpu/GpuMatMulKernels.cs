using ILGPU;
using ILGPU.Runtime;
using static DataflowNet.Kernels.Gpu.GpuKernels;

using V = ILGPU.Runtime.ArrayView1D<float, ILGPU.Stride1D.Dense>;

namespace DataflowNet.Kernels.Gpu;

/// <summary>MatMul: 16×16 tiles of both operands staged in shared memory, one thread per output element.</summary>
internal static class GpuMatMulKernels
{
    public static void Register(KernelRegistry r, GpuDevice device)
    {
        var acc = device.Accelerator;
        r.Register("MatMul", [DataType.Float32], MatMul(acc, device));
    }

    private const int Tile = 16;

    private static Kernel MatMul(Accelerator acc, GpuDevice device)
    {
        var kernel = new Lazy<Action<KernelConfig, V, V, V, int, int, int, int, int>>(() =>
            acc.LoadStreamKernel<V, V, V, int, int, int, int, int>(MatMulKernel));
        return ctx => MatMulOn(ctx, kernel.Value, device);
    }

    private static void MatMulOn(KernelContext ctx, Action<KernelConfig, V, V, V, int, int, int, int, int> kernel, GpuDevice device)
    {
        var (a, b) = (ctx.Input(0), ctx.Input(1));
        bool ta = ctx.Attr<bool>("transpose_a"), tb = ctx.Attr<bool>("transpose_b");
        if (a.ndim != 2 || b.ndim != 2) throw ctx.Error($"MatMul takes matrices, got shapes {TensorShape.Format(a.Dims)} and {TensorShape.Format(b.Dims)}");
        int m = ta ? a.Dims[1] : a.Dims[0], kk = ta ? a.Dims[0] : a.Dims[1];
        int kb = tb ? b.Dims[1] : b.Dims[0], n = tb ? b.Dims[0] : b.Dims[1];
        if (kk != kb) throw ctx.Error($"Matrix size-incompatible: In[0]: {TensorShape.Format(a.Dims)}, In[1]: {TensorShape.Format(b.Dims)} (transpose_a={ta}, transpose_b={tb})");
        var y = ctx.AllocateDeviceOutput(0, device, [m, n]);
        if (m == 0 || n == 0) return;
        var config = new KernelConfig(new Index2D((n + Tile - 1) / Tile, (m + Tile - 1) / Tile), new Index2D(Tile, Tile));
        kernel(config, View(a, ctx, 0), View(b, ctx, 1), View(y, ctx, 0), m, n, kk, ta ? 1 : 0, tb ? 1 : 0);
    }

    private static void MatMulKernel(V a, V b, V c,
                                     int m, int n, int k, int transA, int transB)
    {
        var tileA = SharedMemory.Allocate2D<float, Stride2D.DenseX>(new Index2D(Tile, Tile), new Stride2D.DenseX(Tile));
        var tileB = SharedMemory.Allocate2D<float, Stride2D.DenseX>(new Index2D(Tile, Tile), new Stride2D.DenseX(Tile));
        int tx = Group.IdxX, ty = Group.IdxY;
        int col = Grid.IdxX * Tile + tx, row = Grid.IdxY * Tile + ty;
        float sum = 0;
        for (int t0 = 0; t0 < k; t0 += Tile)
        {
            int ka = t0 + tx, kb = t0 + ty;
            tileA[ty, tx] = row < m && ka < k ? a[transA != 0 ? ka * m + row : row * k + ka] : 0f;
            tileB[ty, tx] = col < n && kb < k ? b[transB != 0 ? col * k + kb : kb * n + col] : 0f;
            Group.Barrier();
            for (int p = 0; p < Tile; p++) sum += tileA[ty, p] * tileB[p, tx];
            Group.Barrier();
        }
        if (row < m && col < n) c[row * n + col] = sum;
    }
}
