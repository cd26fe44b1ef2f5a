using ILGPU;
using ILGPU.Runtime;
using static DataflowNet.Kernels.Gpu.GpuKernels;

using V = ILGPU.Runtime.ArrayView1D<float, ILGPU.Stride1D.Dense>;

namespace DataflowNet.Kernels.Gpu;

/// <summary>MatMul and BatchMatMulV2: 16×16 tiles of both operands staged in shared memory, one thread per output element; transposed operands (transpose_a/b, adj_x/y) are read in place.</summary>
internal static class GpuMatMulKernels
{
    public static void Register(KernelRegistry r, GpuDevice device)
    {
        var acc = device.Accelerator;
        r.Register("MatMul", [DataType.Float32], MatMul(acc, device));
        // BatchMatMulV2: the batch dims broadcast (numpy-style, as the CPU kernel); each output matrix by the same
        // tiles. A group's batch and column tile share grid axis X (CUDA allows 2³¹−1 groups there, 65535 on Y).
        var batched = new Lazy<Action<KernelConfig, V, V, V, int, int, int, int, int, int, Shape6, Shape6, Shape6, int>>(() =>
            acc.LoadStreamKernel<V, V, V, int, int, int, int, int, int, Shape6, Shape6, Shape6, int>(BatchMatMulKernel));
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
            CheckGridY(ctx, m, "rows");
            var y = ctx.AllocateDeviceOutput(0, device, [.. batch, m, n]);
            if (y.size == 0) return;
            int count = ShapeUtil.Count(batch);
            // Batch strides in matrices: 0 along a broadcast dim.
            Span<int> sa = stackalloc int[batch.Length], sb = stackalloc int[batch.Length];
            Cpu.Broadcasting.Strides(batchA, batch, sa);
            Cpu.Broadcasting.Strides(batchB, batch, sb);
            int colTiles = (n + Tile - 1) / Tile, rowTiles = (m + Tile - 1) / Tile;
            var config = new KernelConfig(new Index2D(colTiles * count, rowTiles), new Index2D(Tile, Tile));
            batched.Value(config, View(a, ctx, 0), View(b, ctx, 1), View(y, ctx, 0), m, n, ka, ta ? 1 : 0, tb ? 1 : 0, colTiles,
                         Shape6.Of(batch), Shape6.Of(sa), Shape6.Of(sb), batch.Length);
        });
    }

    private const int Tile = 16;

    private static void CheckGridY(KernelContext ctx, int size, string what) => GpuKernels.CheckGridY(ctx, size, Tile, what);

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
        // Row tiles on the grid's X axis: CUDA allows 2³¹−1 groups there but 65,535 on Y, and rows (a batch) are the
        // dimension that grows; columns stay within 65,535 tiles (1,048,560 columns). cuBLAS has no such limit.
        var blas = device.Blas;
        if (blas is null) CheckGridY(ctx, n, "columns");
        var y = ctx.AllocateDeviceOutput(0, device, [m, n]);
        if (m == 0 || n == 0) return;
        if (blas is not null && kk == 0)
        {
            View(y, ctx, 0).MemSetToZero(); // an empty sum, without relying on what SGEMM writes for k = 0
            return;
        }
        if (blas?.TryMatMul(View(a, ctx, 0), View(b, ctx, 1), View(y, ctx, 0), m, n, kk, ta, tb) == true) return;
        CheckGridY(ctx, n, "columns"); // cuBLAS refused: the tiled kernel's limit holds
        var config = new KernelConfig(new Index2D((m + Tile - 1) / Tile, (n + Tile - 1) / Tile), new Index2D(Tile, Tile));
        kernel(config, View(a, ctx, 0), View(b, ctx, 1), View(y, ctx, 0), m, n, kk, ta ? 1 : 0, tb ? 1 : 0);
    }

    private static void MatMulKernel(V a, V b, V c,
                                     int m, int n, int k, int transA, int transB)
    {
        // Tiles are [row, column] with columns contiguous (DenseY): a warp's threads, consecutive in tx, touch
        // consecutive shared-memory banks (with X contiguous, tileB[p, tx] put them 16 floats apart: bank conflicts).
        var tileA = SharedMemory.Allocate2D<float, Stride2D.DenseY>(new Index2D(Tile, Tile), new Stride2D.DenseY(Tile));
        var tileB = SharedMemory.Allocate2D<float, Stride2D.DenseY>(new Index2D(Tile, Tile), new Stride2D.DenseY(Tile));
        int tx = Group.IdxX, ty = Group.IdxY;
        int col = Grid.IdxY * Tile + tx, row = Grid.IdxX * Tile + ty;
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

    private static void BatchMatMulKernel(V a, V b, V c, int m, int n, int k, int transA, int transB, int colTiles,
                                          Shape6 batchDims, Shape6 strideA, Shape6 strideB, int batchRank)
    {
        var tileA = SharedMemory.Allocate2D<float, Stride2D.DenseY>(new Index2D(Tile, Tile), new Stride2D.DenseY(Tile));
        var tileB = SharedMemory.Allocate2D<float, Stride2D.DenseY>(new Index2D(Tile, Tile), new Stride2D.DenseY(Tile));
        int tx = Group.IdxX, ty = Group.IdxY;
        int batchIndex = Grid.IdxX / colTiles;
        int col = Grid.IdxX % colTiles * Tile + tx, row = Grid.IdxY * Tile + ty;
        // The output batch index to the inputs' (possibly broadcast) matrices.
        int rem = batchIndex, matA = 0, matB = 0;
        for (int d = batchRank - 1; d >= 0; d--)
        {
            int size = batchDims.Get(d);
            int i = rem % size;
            rem /= size;
            matA += i * strideA.Get(d);
            matB += i * strideB.Get(d);
        }
        int offA = matA * m * k, offB = matB * k * n;
        float sum = 0;
        for (int t0 = 0; t0 < k; t0 += Tile)
        {
            int ka = t0 + tx, kb = t0 + ty;
            tileA[ty, tx] = row < m && ka < k ? a[offA + (transA != 0 ? ka * m + row : row * k + ka)] : 0f;
            tileB[ty, tx] = col < n && kb < k ? b[offB + (transB != 0 ? col * k + kb : kb * n + col)] : 0f;
            Group.Barrier();
            for (int p = 0; p < Tile; p++) sum += tileA[ty, p] * tileB[p, tx];
            Group.Barrier();
        }
        if (row < m && col < n) c[batchIndex * m * n + row * n + col] = sum;
    }
}
