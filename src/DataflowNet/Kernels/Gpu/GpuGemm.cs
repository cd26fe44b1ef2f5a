using ILGPU;
using ILGPU.Runtime;

using V = ILGPU.Runtime.ArrayView1D<float, ILGPU.Stride1D.Dense>;

namespace DataflowNet.Kernels.Gpu;

/// <summary>
/// A matrix product C[rows, cols] = A[rows, depth] · B[depth, cols], described by where each element lives rather
/// than stored as matrices: MatMul, BatchMatMulV2 and the three convolution products (implicit GEMMs, whose A is the
/// never-built im2col matrix) are each one of these, and <see cref="GpuGemm.Kernel{TProblem}"/> is the one tiled loop
/// that runs them all. ILGPU specializes the kernel per problem struct, so the offsets inline (no virtual calls).
/// </summary>
internal interface IGemmProblem
{
    int Rows { get; }
    int Cols { get; }

    /// <summary>Independent products, one per grid slice z: the matrices of a batch, or the parts of a long depth.</summary>
    int Slices { get; }

    /// <summary>Where slice z's operands start and which part of the depth it sums.</summary>
    GemmSlice Slice(int z);

    /// <summary>The offset of A[row, k] in a, or −1 where that element is zero (a convolution's padding).</summary>
    int AAt(GemmSlice s, int row, int k);

    /// <summary>The offset of B[k, col] in b.</summary>
    int BAt(GemmSlice s, int k, int col);

    /// <summary>The offset of C[row, col] in c.</summary>
    long CAt(GemmSlice s, int row, int col);

    /// <summary>Whether A's consecutive k are adjacent in memory (else its consecutive rows are): how tile loads coalesce.</summary>
    bool AAlongDepth { get; }

    /// <summary>Whether B's consecutive columns are adjacent in memory (else its consecutive k are).</summary>
    bool BAlongCols { get; }
}

/// <summary>One slice of a product: base offsets of its A, B and C, and the depth range [KStart, KEnd) it sums.</summary>
internal struct GemmSlice
{
    public int A, B, KStart, KEnd;
    public long C;
}

/// <summary>Which tiling a product runs with: chosen by its shape, or forced (tests run every product both ways).</summary>
internal enum GemmTiling { Auto, Small, Large }

/// <summary>
/// The tiled product kernels, and the choice between them. <see cref="LargeKernel{TProblem}"/>: a group of 16×16
/// threads computes a 64×64 tile of C, each thread a 4×4 block of it (rows ty + 16i, columns tx + 16j: a warp's loads
/// from shared memory hit distinct banks or one broadcast address, and its stores to C are consecutive), from 64×16
/// and 16×64 tiles of A and B staged in shared memory: sixteen multiply-adds per pair of shared loads.
/// <see cref="SmallKernel{TProblem}"/>: a 16×16 tile, one output per thread, sixteen times the groups; it keeps a GPU
/// busy where 64×64 tiles would be too few (the MLP's 128-row products) or mostly empty (32 columns). Either way each
/// output sums its depth in ascending order, one term at a time, so the choice never changes a result.
/// </summary>
internal static class GpuGemm
{
    public const int TileRows = 64, TileCols = 64, TileDepth = 16;
    private const int Threads = 16; // a group is Threads × Threads; in the large kernel each thread computes (64 / 16)² outputs
    private const int Loads = TileRows * TileDepth / (Threads * Threads); // elements of each operand a thread stages per step
    private const int Ld = TileRows + 1; // padded rows of the staged tiles: the transposed stores miss bank conflicts
    private const int SmallLd = Threads + 1;

    /// <summary>Both kernels for one problem type, compiled on first use.</summary>
    public sealed class Kernels<TProblem>(GpuDevice device) where TProblem : struct, IGemmProblem
    {
        private readonly Lazy<Action<KernelConfig, V, V, V, TProblem>> _large = new(() => device.Accelerator.LoadStreamKernel<V, V, V, TProblem>(LargeKernel));
        private readonly Lazy<Action<KernelConfig, V, V, V, TProblem>> _small = new(() => device.Accelerator.LoadStreamKernel<V, V, V, TProblem>(SmallKernel));

        /// <summary>c = a · b as <paramref name="p"/> lays them out, or fails naming the op where the grid cannot hold it.</summary>
        public void Launch(KernelContext ctx, V a, V b, V c, TProblem p, string what)
        {
            if (p.Rows == 0 || p.Cols == 0 || p.Slices == 0) return;
            int tile = TileFor(device, p.Rows, p.Cols, p.Slices);
            bool large = tile == TileRows;
            long rowGroups = (long)((p.Rows + tile - 1) / tile) * p.Slices;
            int colGroups = (p.Cols + tile - 1) / tile;
            if (colGroups > 65535)
                throw Unplaceable(ctx, $"The GPU's tiled product puts its {what} on CUDA's grid Y axis, at most {65535 * tile} of them; this one has {p.Cols}.");
            if (rowGroups > int.MaxValue)
                throw Unplaceable(ctx, $"The GPU's tiled product needs {rowGroups} row tiles, more than CUDA's grid X axis holds ({int.MaxValue}).");
            var config = new KernelConfig(new Index2D((int)rowGroups, colGroups), new Index2D(Threads, Threads));
            (large ? _large : _small).Value(config, a, b, c, p);
        }
    }

    /// <summary>
    /// The tile width a product runs with: 64 where <see cref="UseLarge"/> says so, or where its columns pass 65,535
    /// 16-wide tiles (CUDA's grid holds 2³¹−1 groups along X, the rows, which grow with the batch, but 65,535 along Y).
    /// </summary>
    internal static int TileFor(GpuDevice device, int rows, int cols, int slices) =>
        UseLarge(device, rows, cols, slices) || (cols + Threads - 1) / Threads > 65535 ? TileRows : Threads;

    private static UnimplementedException Unplaceable(KernelContext ctx, string why) =>
        new($"{why} Place the op on the CPU (tf.device(\"/cpu:0\")).\n\tin op {ctx.Self.Describe()}") { Op = ctx.Self };

    /// <summary>
    /// Whether the 64×64 tiles fit the product: at least one group per multiprocessor, and tiles at least three
    /// quarters full (a 32-column product would leave half of each idle).
    /// </summary>
    internal static bool UseLarge(GpuDevice device, int rows, int cols, int slices)
    {
        if (device.GemmTiling != GemmTiling.Auto) return device.GemmTiling == GemmTiling.Large;
        long tiles = (long)((rows + TileRows - 1) / TileRows) * ((cols + TileCols - 1) / TileCols);
        return tiles * slices >= device.Multiprocessors && (double)rows * cols >= 0.75 * tiles * TileRows * TileCols;
    }

    public static void LargeKernel<TProblem>(V a, V b, V c, TProblem p) where TProblem : struct, IGemmProblem
    {
        var tileA = SharedMemory.Allocate1D<float>(TileDepth * Ld); // tileA[k, row]
        var tileB = SharedMemory.Allocate1D<float>(TileDepth * Ld); // tileB[k, col]
        int tx = Group.IdxX, ty = Group.IdxY, t = ty * Threads + tx;
        int rows = p.Rows, cols = p.Cols, rowTiles = (rows + TileRows - 1) / TileRows;
        int row0 = Grid.IdxX % rowTiles * TileRows, col0 = Grid.IdxY * TileCols;
        var s = p.Slice(Grid.IdxX / rowTiles);
        bool aAlongDepth = p.AAlongDepth, bAlongCols = p.BAlongCols;
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int k0 = s.KStart; k0 < s.KEnd; k0 += TileDepth)
        {
            // Stage both tiles; consecutive threads take the elements adjacent in memory, so the loads coalesce.
            for (int i = 0; i < Loads; i++)
            {
                int e = t + i * Threads * Threads;
                int ka = aAlongDepth ? e % TileDepth : e / TileRows, r = aAlongDepth ? e / TileDepth : e % TileRows;
                tileA[ka * Ld + r] = LoadA(a, p, s, row0 + r, k0 + ka, rows);
                int kb = bAlongCols ? e / TileCols : e % TileDepth, cb = bAlongCols ? e % TileCols : e / TileDepth;
                tileB[kb * Ld + cb] = LoadB(b, p, s, k0 + kb, col0 + cb, cols);
            }
            Group.Barrier();
            for (int q = 0; q < TileDepth; q++)
            {
                int ai = q * Ld + ty, bi = q * Ld + tx;
                float a0 = tileA[ai], a1 = tileA[ai + 16], a2 = tileA[ai + 32], a3 = tileA[ai + 48];
                float b0 = tileB[bi], b1 = tileB[bi + 16], b2 = tileB[bi + 32], b3 = tileB[bi + 48];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Group.Barrier();
        }
        int r0 = row0 + ty, col = col0 + tx;
        StoreRow(c, p, s, r0, col, rows, cols, c00, c01, c02, c03);
        StoreRow(c, p, s, r0 + 16, col, rows, cols, c10, c11, c12, c13);
        StoreRow(c, p, s, r0 + 32, col, rows, cols, c20, c21, c22, c23);
        StoreRow(c, p, s, r0 + 48, col, rows, cols, c30, c31, c32, c33);
    }

    public static void SmallKernel<TProblem>(V a, V b, V c, TProblem p) where TProblem : struct, IGemmProblem
    {
        var tileA = SharedMemory.Allocate1D<float>(Threads * SmallLd); // tileA[k, row]
        var tileB = SharedMemory.Allocate1D<float>(Threads * SmallLd); // tileB[k, col]
        int tx = Group.IdxX, ty = Group.IdxY;
        int rows = p.Rows, cols = p.Cols, rowTiles = (rows + Threads - 1) / Threads;
        int row0 = Grid.IdxX % rowTiles * Threads, col0 = Grid.IdxY * Threads;
        var s = p.Slice(Grid.IdxX / rowTiles);
        bool aAlongDepth = p.AAlongDepth, bAlongCols = p.BAlongCols;
        float sum = 0;
        for (int k0 = s.KStart; k0 < s.KEnd; k0 += Threads)
        {
            // Consecutive threads (tx) take the elements adjacent in memory.
            int ka = aAlongDepth ? tx : ty, r = aAlongDepth ? ty : tx;
            tileA[ka * SmallLd + r] = LoadA(a, p, s, row0 + r, k0 + ka, rows);
            int kb = bAlongCols ? ty : tx, cb = bAlongCols ? tx : ty;
            tileB[kb * SmallLd + cb] = LoadB(b, p, s, k0 + kb, col0 + cb, cols);
            Group.Barrier();
            for (int q = 0; q < Threads; q++) sum += tileA[q * SmallLd + ty] * tileB[q * SmallLd + tx];
            Group.Barrier();
        }
        int row = row0 + ty, column = col0 + tx;
        if (row < rows && column < cols) c[p.CAt(s, row, column)] = sum;
    }

    /// <summary>A[row, k], zero outside the product and in a convolution's padding.</summary>
    private static float LoadA<TProblem>(V a, TProblem p, GemmSlice s, int row, int k, int rows) where TProblem : struct, IGemmProblem
    {
        if (row >= rows || k >= s.KEnd) return 0f;
        int at = p.AAt(s, row, k);
        return at >= 0 ? a[at] : 0f;
    }

    /// <summary>B[k, col], zero outside the product.</summary>
    private static float LoadB<TProblem>(V b, TProblem p, GemmSlice s, int k, int col, int cols) where TProblem : struct, IGemmProblem =>
        col < cols && k < s.KEnd ? b[p.BAt(s, k, col)] : 0f;

    private static void StoreRow<TProblem>(V c, TProblem p, GemmSlice s, int row, int col, int rows, int cols, float v0, float v1, float v2, float v3)
        where TProblem : struct, IGemmProblem
    {
        if (row >= rows) return;
        if (col < cols) c[p.CAt(s, row, col)] = v0;
        if (col + 16 < cols) c[p.CAt(s, row, col + 16)] = v1;
        if (col + 32 < cols) c[p.CAt(s, row, col + 32)] = v2;
        if (col + 48 < cols) c[p.CAt(s, row, col + 48)] = v3;
    }
}

/// <summary>
/// MatMul and BatchMatMulV2: row-major matrices, either operand read transposed in place; a batch's matrices are the
/// slices, its dims broadcasting numpy-style (stride 0 along a broadcast dim).
/// </summary>
internal struct MatMulProblem : IGemmProblem
{
    public int M, N, K, TransA, TransB, BatchRank, Count;
    public Shape6 BatchDims, StrideA, StrideB;

    public readonly int Rows => M;
    public readonly int Cols => N;
    public readonly int Slices => Count;
    public readonly bool AAlongDepth => TransA == 0;
    public readonly bool BAlongCols => TransB == 0;

    public readonly GemmSlice Slice(int z)
    {
        // The output batch index to the inputs' (possibly broadcast) matrices.
        var mat = Shape6.BroadcastOffsets(z, BatchDims, StrideA, StrideB, BatchRank);
        return new GemmSlice { A = mat.A * M * K, B = mat.B * K * N, C = (long)z * M * N, KStart = 0, KEnd = K };
    }

    public readonly int AAt(GemmSlice s, int row, int k) => s.A + (TransA != 0 ? k * M + row : row * K + k);
    public readonly int BAt(GemmSlice s, int k, int col) => s.B + (TransB != 0 ? col * K + k : k * N + col);
    public readonly long CAt(GemmSlice s, int row, int col) => s.C + (long)row * N + col;
}
