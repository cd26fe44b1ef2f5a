using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.ExceptionServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DataflowNet.Kernels.Cpu;

/// <summary>The register-tiled inner kernel a blocked product uses.</summary>
internal enum MicroKernel { Scalar, Vector256, Vector512 }

/// <summary>
/// Register tile (MR rows × NR columns of C held in registers) and cache blocks of a blocked product:
/// KC is the depth of one packed panel, MC the rows of A packed at once, NC the columns of B packed at once.
/// </summary>
internal readonly record struct Blocking(MicroKernel Kernel, int MR, int NR, int KC, int MC, int NC)
{
    /// <summary>The widest micro-kernel this machine accelerates, with blocks sized for Zen-class caches.</summary>
    public static Blocking Default<T>() where T : unmanaged =>
        For<T>(Vector512.IsHardwareAccelerated ? MicroKernel.Vector512
            : Vector256.IsHardwareAccelerated ? MicroKernel.Vector256 : MicroKernel.Scalar);

    public static Blocking For<T>(MicroKernel kernel) where T : unmanaged
    {
        // Tiles: 2 vectors across × MR rows of accumulators, plus the 2 loaded B vectors and 1 broadcast A value,
        // must fit the register file: 6×2 + 3 = 15 of 16 ymm, 12×2 + 3 = 27 of 32 zmm.
        var (mr, nr) = kernel switch
        {
            MicroKernel.Vector512 => (12, 2 * Vector512<T>.Count),
            MicroKernel.Vector256 => (6, 2 * Vector256<T>.Count),
            _ => (4, 4),
        };
        int size = Unsafe.SizeOf<T>();
        // KC: one packed B sliver (KC × NR) is reused from L1 across the whole MC loop. The textbook budget is half
        // of L1 (16 KB: KC = 256); a whole L1 (32 KB: KC = 512 for 6×16 float32) measured 2–9% faster on the MLP's
        // and on square products here (each C tile is loaded and stored once per KC slice, and fewer slices pay
        // that less often), while the A sliver streams in from L2 behind the prefetchers.
        int kc = Math.Min(512, 32 * 1024 / (nr * size));
        // MC: the packed A block (MC × KC) stays in L2 (1 MB per core on Zen4, 512 KB on Zen3) while every B sliver
        // of the panel passes over it; 192 KB leaves room for those slivers streaming in from L3 and for C.
        int mc = 192 * 1024 / (kc * size) / mr * mr;
        // NC: the packed B panel (KC × NC) lives in the shared L3 (32 MB); ~4 MB per core, a multiple of NR.
        int nc = 4 * 1024 * 1024 / (kc * size) / nr * nr;
        return new Blocking(kernel, mr, nr, kc, mc, nc);
    }
}

/// <summary>
/// Dense float32/float64 matrix product C = op(A)·op(B) (+ C), GotoBLAS/BLIS style. Per KC×NC panel of B and
/// MC×KC block of A, both are packed into contiguous aligned scratch (A as MR-row slivers, B as NR-column slivers,
/// each laid out k-major so the micro-kernel reads both with unit stride, zero-padded to whole tiles); the
/// micro-kernel then sweeps MR×NR tiles of C with FMAs on registers only. Transposed operands are absorbed by the
/// packing, which reads through (row, column) strides. Large products split rows (or columns) of C across cores.
/// </summary>
internal static unsafe class Gemm
{
    // Hot methods are marked AggressiveOptimization: tiered compilation would otherwise run the first products
    // (and every product of a short-lived process) through unoptimized tier-0 loops.

    /// <summary>Off: A is always packed (for measuring and testing the in-place row kernel against the packed one).</summary>
    internal static bool UnpackedA = true;

    /// <summary>Below this many multiply-adds packing costs more than it saves (measured: about 10×10×10).</summary>
    private const long DirectThreshold = 1024;

    /// <summary>Below this many multiply-adds waking a helper thread costs more than it saves.</summary>
    private const long ParallelThreshold = 1 << 18;

    public static bool Supports<T>() => typeof(T) == typeof(float) || typeof(T) == typeof(double);

    /// <summary>
    /// c[m,n] = op(a)·op(b), or c += op(a)·op(b) when <paramref name="accumulate"/>. All row-major: a is [m,k]
    /// ([k,m] when <paramref name="transposeA"/>), b is [k,n] ([n,k] when <paramref name="transposeB"/>).
    /// </summary>
    public static void Multiply<T>(ReadOnlySpan<T> a, bool transposeA, ReadOnlySpan<T> b, bool transposeB, Span<T> c,
        int m, int k, int n, bool accumulate = false) where T : unmanaged, INumber<T>
    {
        if (accumulate) MultiplyAdd(a, transposeA, b, transposeB, T.One, c, c, m, k, n);
        else MultiplyAdd(a, transposeA, b, transposeB, T.One, default, c, m, k, n);
    }

    /// <summary>
    /// c[m,n] = alpha·op(a)·op(b) + addend, BLAS's gemm with beta 1 (or 0 when <paramref name="addend"/> is empty);
    /// the addend may be c itself. Scaling and adding happen as each register tile is stored, so a fused update
    /// such as w − lr·xᵀ·dy costs no pass of its own.
    /// </summary>
    public static void MultiplyAdd<T>(ReadOnlySpan<T> a, bool transposeA, ReadOnlySpan<T> b, bool transposeB, T alpha,
        ReadOnlySpan<T> addend, Span<T> c, int m, int k, int n) where T : unmanaged, INumber<T>
    {
        long work = (long)m * n * k;
        bool direct = (work < DirectThreshold || m == 1 || (n == 1 && !transposeA)) && DirectFits(transposeA, transposeB, m, n);
        // One part when the workers are taken (by another session's thread): parts run inline would each pack the
        // operand they do not split, for nothing.
        MultiplyAdd(a, transposeA, b, transposeB, alpha, addend, c, m, k, n, direct ? null : Blocking.Default<T>(),
            work < ParallelThreshold || CpuParallel.Busy ? 1 : Environment.ProcessorCount);
    }

    /// <summary>
    /// As above with the path chosen by the caller (tests): <paramref name="blocking"/> null for the direct loops,
    /// else the blocked path with that tiling split into up to <paramref name="parts"/> parallel parts.
    /// </summary>
    internal static void Multiply<T>(ReadOnlySpan<T> a, bool transposeA, ReadOnlySpan<T> b, bool transposeB, Span<T> c,
        int m, int k, int n, bool accumulate, Blocking? blocking, int parts) where T : unmanaged, INumber<T>
    {
        if (accumulate) MultiplyAdd(a, transposeA, b, transposeB, T.One, c, c, m, k, n, blocking, parts);
        else MultiplyAdd(a, transposeA, b, transposeB, T.One, default, c, m, k, n, blocking, parts);
    }

    /// <summary><see cref="MultiplyAdd{T}(ReadOnlySpan{T}, bool, ReadOnlySpan{T}, bool, T, ReadOnlySpan{T}, Span{T}, int, int, int)"/> with the path chosen by the caller, as above.</summary>
    internal static void MultiplyAdd<T>(ReadOnlySpan<T> a, bool transposeA, ReadOnlySpan<T> b, bool transposeB, T alpha,
        ReadOnlySpan<T> addend, Span<T> c, int m, int k, int n, Blocking? blocking, int parts) where T : unmanaged, INumber<T>
    {
        if (!Supports<T>()) throw new NotSupportedException($"Gemm supports float and double, not {typeof(T).Name}.");
        if ((long)m * k > a.Length || (long)k * n > b.Length || (long)m * n > c.Length || !addend.IsEmpty && (long)m * n > addend.Length)
            throw new ArgumentException("A buffer is smaller than its matrix.");
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (addend.IsEmpty) c[..(m * n)].Clear();
            else addend[..(m * n)].CopyTo(c);
            return;
        }
        fixed (T* pa = a, pb = b, pc = c, pAdd = addend)
        {
            // op(A)[i,p] = a[i·rs + p·cs]: the packing reads transposed operands in place through these strides.
            var sa = transposeA ? new Strided<T>(pa, 1, m) : new Strided<T>(pa, k, 1);
            var sb = transposeB ? new Strided<T>(pb, 1, k) : new Strided<T>(pb, n, 1);
            if (blocking is not { } bl)
            {
                if (!DirectFits(transposeA, transposeB, m, n)) throw new ArgumentException("No direct loop for this layout.");
                Direct(sa, sb, pc, m, k, n, alpha, pAdd);
                return;
            }
            // Each part packs all of the operand it does not split (B when splitting rows of C, A when splitting
            // columns), so split the larger of M and N, unless it has too few tiles to go round. An A read in place
            // is not packed at all: splitting columns then repeats no packing, only each part's reading of A from
            // the shared L3, which measured 2-6% faster on squares (n = 512..2048), even up to M = 16·N and 4-6% slower from M = 32·N.
            int rowTiles = (m + bl.MR - 1) / bl.MR, columnTiles = (n + bl.NR - 1) / bl.NR;
            parts = Math.Clamp(parts, 1, CpuParallel.Degree);
            bool splitRows = ReadsAInPlace(sa, bl) && m <= 4L * n && columnTiles >= parts ? false
                : m >= n ? rowTiles >= Math.Min(parts, columnTiles) : columnTiles < Math.Min(parts, rowTiles);
            var problem = new Problem<T>(sa, sb, pc, pAdd, alpha, m, k, n, bl) { SplitRows = splitRows };
            parts = Math.Min(parts, splitRows ? rowTiles : columnTiles);
            if (parts == 1) { problem.Run(0, 1); return; }
            // The cores' workers take one part each (a busy pool runs them all here, which is the same product).
            var job = PartsJob<T>.ForThisThread;
            job.Problem = problem;
            job.Parts = parts;
            try { CpuParallel.For(parts, job); }
            finally { job.Problem = default; }
        }
    }

    /// <summary>A matrix read through strides: element (i, j) is at Ptr[i·RowStride + j·ColStride].</summary>
    private readonly struct Strided<T>(T* ptr, nint rowStride, nint colStride) where T : unmanaged
    {
        public readonly T* Ptr = ptr;
        public readonly nint RowStride = rowStride, ColStride = colStride;
        public T* At(nint i, nint j) => Ptr + i * RowStride + j * ColStride;
    }

    /// <summary>
    /// Small products and matrix-vector shapes: packing costs more than it saves (and a vector operand would be
    /// padded to a whole tile), so loop over the operands as they lie, vectorized along a contiguous dimension.
    /// Needs rows of op(B) contiguous (axpy form) or rows of op(A) and columns of op(B) contiguous (dot form).
    /// </summary>
    private static bool DirectFits(bool transposeA, bool transposeB, int m, int n) =>
        !transposeB || !transposeA || m == 1 || n == 1;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Direct<T>(Strided<T> a, Strided<T> b, T* c, int m, int k, int n, T alpha, T* addend)
        where T : unmanaged, INumber<T>
    {
        if (a.ColStride == 1 && b.RowStride == 1)
        {
            // One dot product per element of C (B transposed, or a vector).
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    T dot = alpha * Dot(a.At(i, 0), b.At(0, j), k);
                    c[i * n + j] = addend is null ? dot : addend[i * n + j] + dot;
                }
            return;
        }
        // Each row of C accumulates rows of B scaled by one element of A (i-k-j order).
        for (int i = 0; i < m; i++)
        {
            T* row = c + i * n;
            if (addend is null) new Span<T>(row, n).Clear();
            else if (addend != c) new ReadOnlySpan<T>(addend + i * n, n).CopyTo(new Span<T>(row, n));
            for (int p = 0; p < k; p++)
                Axpy(alpha * *a.At(i, p), b.At(p, 0), row, n);
        }
    }

    /// <summary>Σ x[i]·y[i] over two contiguous runs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Dot<T>(T* x, T* y, int length) where T : unmanaged, INumber<T>
    {
        int i = 0;
        T sum = T.Zero;
        if (Vector.IsHardwareAccelerated && length >= Vector<T>.Count)
        {
            // Two accumulators hide the add latency on long (matrix-vector) dots.
            Vector<T> s0 = Vector<T>.Zero, s1 = Vector<T>.Zero;
            for (; i <= length - 2 * Vector<T>.Count; i += 2 * Vector<T>.Count)
            {
                s0 += Vector.Load(x + i) * Vector.Load(y + i);
                s1 += Vector.Load(x + i + Vector<T>.Count) * Vector.Load(y + i + Vector<T>.Count);
            }
            for (; i <= length - Vector<T>.Count; i += Vector<T>.Count)
                s0 += Vector.Load(x + i) * Vector.Load(y + i);
            sum = Vector.Sum(s0 + s1);
        }
        for (; i < length; i++) sum += x[i] * y[i];
        return sum;
    }

    /// <summary>y += s·x over contiguous runs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy<T>(T s, T* x, T* y, int length) where T : unmanaged, INumber<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var sv = new Vector<T>(s);
            for (; i <= length - Vector<T>.Count; i += Vector<T>.Count)
                (Vector.Load(y + i) + sv * Vector.Load(x + i)).Store(y + i);
        }
        for (; i < length; i++) y[i] += s * x[i];
    }

    /// <summary>
    /// One product on the blocked path, runnable in independent parts: contiguous, tile-aligned ranges of rows or
    /// of columns of C. Each part packs its own panels: that repeats the packing of one operand in every part (a
    /// few percent of the work) but needs no synchronization between parts; sharing packed B panels behind a
    /// barrier measured no faster here.
    /// </summary>
    private struct Problem<T>(Strided<T> a, Strided<T> b, T* c, T* addend, T alpha, int m, int k, int n, Blocking blocking)
        where T : unmanaged, INumber<T>
    {
        public bool SplitRows;

        public readonly void Run(int part, int parts)
        {
            var bl = blocking;
            if (SplitRows)
            {
                var (i0, i1) = Range(m, bl.MR, part, parts);
                Blocked(new Strided<T>(a.At(i0, 0), a.RowStride, a.ColStride), b, c + (nint)i0 * n,
                    addend is null ? null : addend + (nint)i0 * n, alpha, n, i1 - i0, k, n, bl);
            }
            else
            {
                var (j0, j1) = Range(n, bl.NR, part, parts);
                Blocked(a, new Strided<T>(b.At(0, j0), b.RowStride, b.ColStride), c + j0, addend is null ? null : addend + j0, alpha, n, m, k, j1 - j0, bl);
            }
        }

        /// <summary>Part <paramref name="part"/> of <paramref name="parts"/> of [0, size), in whole tiles.</summary>
        private static (int Start, int End) Range(int size, int tile, int part, int parts)
        {
            int tiles = (size + tile - 1) / tile;
            return (Math.Min(size, tiles * part / parts * tile), Math.Min(size, tiles * (part + 1) / parts * tile));
        }
    }

    /// <summary>
    /// The five loops around the micro-kernel: NC columns of B → KC depth (pack B panel, L3) → MC rows of A
    /// (pack A block, L2) → NR columns (one B sliver, L1) → MR rows (one tile in registers).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Blocked<T>(Strided<T> a, Strided<T> b, T* c, T* addend, T alpha, nint ldc, int m, int k, int n, Blocking bl)
        where T : unmanaged, INumber<T>
    {
        T* aBlock = Scratch<T>.A(Math.Min(m + bl.MR - 1, bl.MC) / bl.MR * bl.MR * Math.Min(k, bl.KC));
        T* bPanel = Scratch<T>.B(Math.Min(n + bl.NR - 1, bl.NC) / bl.NR * bl.NR * Math.Min(k, bl.KC));
        T* edge = stackalloc T[bl.MR * bl.NR];
        bool inPlace = ReadsAInPlace(a, bl);
        for (int jc = 0; jc < n; jc += bl.NC)
        {
            int nc = Math.Min(bl.NC, n - jc);
            for (int pc = 0; pc < k; pc += bl.KC)
            {
                int kc = Math.Min(bl.KC, k - pc);
                Pack(b.At(pc, jc), b.ColStride, b.RowStride, nc, kc, bl.NR, bPanel);
                // The first KC slice adds the addend (or overwrites C); later slices add to what the earlier ones left.
                T* source = pc > 0 ? c : addend;
                for (int ic = 0; ic < m; ic += bl.MC)
                {
                    int mc = Math.Min(bl.MC, m - ic), whole = mc / bl.MR * bl.MR;
                    // In place, only a partial last row tile is packed (at the start of the block buffer).
                    if (!inPlace) Pack(a.At(ic, pc), a.RowStride, a.ColStride, mc, kc, bl.MR, aBlock);
                    else if (whole < mc) Pack(a.At(ic + whole, pc), a.RowStride, a.ColStride, mc - whole, kc, bl.MR, aBlock);
                    for (int jr = 0; jr < nc; jr += bl.NR)
                    {
                        int nr = Math.Min(bl.NR, nc - jr);
                        T* bSliver = bPanel + (nint)jr * kc;
                        for (int ir = 0; ir < mc; ir += bl.MR)
                        {
                            int mr = Math.Min(bl.MR, mc - ir);
                            bool rows = inPlace && mr == bl.MR;
                            T* aSliver = inPlace ? aBlock : aBlock + (nint)ir * kc;
                            nint at = (ic + ir) * ldc + jc + jr;
                            T* cTile = c + at, sTile = source is null ? null : source + at;
                            if (mr == bl.MR && nr == bl.NR)
                            {
                                if (rows) Kernel256Rows(kc, a.At(ic + ir, pc), a.RowStride, bSliver, cTile, sTile, alpha, ldc);
                                else Tile(bl.Kernel, kc, aSliver, bSliver, cTile, sTile, alpha, ldc);
                                continue;
                            }
                            // Edge tile: compute the padded tile aside, then keep only the part inside C.
                            if (rows) Kernel256Rows(kc, a.At(ic + ir, pc), a.RowStride, bSliver, edge, null, T.One, bl.NR);
                            else Tile(bl.Kernel, kc, aSliver, bSliver, edge, null, T.One, bl.NR);
                            for (int r = 0; r < mr; r++)
                                for (int j = 0; j < nr; j++)
                                    cTile[r * ldc + j] = sTile is null ? alpha * edge[r * bl.NR + j] : MulAdd(alpha, edge[r * bl.NR + j], sTile[r * ldc + j]);
                        }
                    }
                }
            }
        }
    }

    /// <summary>A row-major A is read in place by the row kernel (no packing pass), all but a last partial row tile.</summary>
    private static bool ReadsAInPlace<T>(Strided<T> a, Blocking bl) where T : unmanaged =>
        UnpackedA && a.ColStride == 1 && bl.Kernel == MicroKernel.Vector256;

    /// <summary>
    /// Packs a panel of <paramref name="length"/> × <paramref name="depth"/> values, element (r, p) at
    /// src[r·along + p·deep], into slivers of <paramref name="width"/>: sliver s holds, for each p, the values
    /// r = s·width.. side by side, so the micro-kernel reads every sliver front to back. Values past length are zero.
    /// A block packs as (rows of A) × k into MR-slivers, a B panel as (columns of B) × k into NR-slivers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pack<T>(T* src, nint along, nint deep, int length, int depth, int width, T* dst) where T : unmanaged, INumber<T>
    {
        if (along == 1)
        {
            // Sliver values contiguous (B as stored, or A transposed): read each source row once, front to back,
            // handing each sliver its piece. Walking one sliver at a time instead would read a cache line from
            // each of `depth` rows a whole stride apart, which the prefetchers follow poorly.
            if (width >= Vector256<T>.Count)
            {
                PackRowGroups(src, deep, length, depth, width, dst);
                return;
            }
            PackRows(src, deep, length, depth, width, dst);
            return;
        }
        // Depth contiguous (A as stored, or B transposed): a transpose of each sliver.
        if (typeof(T) == typeof(float) && deep == 1 && Avx.IsSupported && (width <= 8 || width % 8 == 0) && depth <= ZeroRowLength)
        {
            PackTransposing((float*)src, along, length, depth, width, (float*)dst);
            return;
        }
        PackTransposingScalar(src, along, deep, length, depth, width, dst);
    }

    /// <summary>
    /// The copy packing of slivers at least a vector wide (B as stored), a group of <see cref="RowGroup"/> source
    /// rows at a time: each sliver receives one contiguous run of RowGroup·width values (whole cache lines) instead
    /// of one line per source row. Slivers lie width·depth values apart, a multiple of 4 KB for NR = 16 and KC =
    /// 256, so storing one line into every sliver per source row sends all those stores to the same L1 set.
    /// Same layout as <see cref="PackRows"/>, its reference.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackRowGroups<T>(T* src, nint deep, int length, int depth, int width, T* dst) where T : unmanaged, INumber<T>
    {
        int whole = length / width * width;
        for (int p0 = 0; p0 < depth; p0 += RowGroup)
        {
            int rows = Math.Min(RowGroup, depth - p0);
            T* s0 = src + p0 * deep, d = dst + p0 * width;
            int r = 0;
            for (; r < whole; r += width, d += (nint)width * depth)
            {
                T* s = s0 + r, e = d;
                for (int p = 0; p < rows; p++, s += deep, e += width) CopyRun(s, e, width);
            }
            if (r < length)
            {
                T* s = s0 + r, e = d;
                for (int p = 0; p < rows; p++, s += deep, e += width)
                {
                    CopyRun(s, e, length - r);
                    new Span<T>(e + length - r, width - length + r).Clear();
                }
            }
        }
    }

    private const int RowGroup = 8;

    /// <summary>
    /// The copy packing one source row at a time: the path for slivers narrower than a vector (A transposed, MR =
    /// 6) and the reference of <see cref="PackRowGroups"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackRows<T>(T* src, nint deep, int length, int depth, int width, T* dst) where T : unmanaged, INumber<T>
    {
        for (int p = 0; p < depth; p++, src += deep)
        {
            T* d = dst + p * width;
            int r = 0;
            // A sliver narrower than a vector (MR = 6): store a whole vector; its tail lands on the next depth's
            // run of the same sliver, which is written right after. Not at the last depth, whose tail would
            // land on the next sliver, already written.
            if (Vector256.IsHardwareAccelerated && width < Vector256<T>.Count && p < depth - 1)
                for (; r + Vector256<T>.Count <= length; r += width, d += width * depth) Vector256.Load(src + r).Store(d);
            for (; r + width <= length; r += width, d += width * depth) CopyRun(src + r, d, width);
            if (r < length)
            {
                CopyRun(src + r, d, length - r);
                new Span<T>(d + length - r, width - length + r).Clear();
            }
        }
    }

    /// <summary>
    /// The copy packing of a float32 panel (element (r, p) at src[r + p·deep], sliver values contiguous) into dst,
    /// by <see cref="PackRowGroups"/> or by its reference <see cref="PackRows"/>: for the tests.
    /// </summary>
    internal static void PackCopying(ReadOnlySpan<float> src, int deep, int length, int depth, int width, Span<float> dst, bool reference)
    {
        if ((long)(depth - 1) * deep + length > src.Length || (length + width - 1) / width * width * depth + 8 > dst.Length)
            throw new ArgumentException("A buffer is smaller than its panel (dst needs 8 values of slack).");
        fixed (float* s = src, d = dst)
        {
            if (reference) PackRows(s, deep, length, depth, width, d);
            else PackRowGroups(s, deep, length, depth, width, d);
        }
    }

    /// <summary>
    /// The reference form of the depth-contiguous packing (and the path for float64 and odd tile widths): each
    /// sliver filled one source row at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackTransposingScalar<T>(T* src, nint along, nint deep, int length, int depth, int width, T* dst) where T : unmanaged, INumber<T>
    {
        for (int r0 = 0; r0 < length; r0 += width, dst += width * depth)
        {
            int rows = Math.Min(width, length - r0);
            for (int r = 0; r < width; r++)
            {
                // A sequential read, while the sliver being written (width × depth) stays in L1.
                T* s = src + (r0 + r) * along, d = dst + r;
                if (r < rows)
                    for (int p = 0; p < depth; p++, s += deep, d += width) *d = *s;
                else
                    for (int p = 0; p < depth; p++, d += width) *d = T.Zero;
            }
        }
    }

    /// <summary>
    /// The depth-contiguous packing of a float32 panel (element (r, p) at src[r·along + p]) into dst, by
    /// <see cref="PackTransposing"/> or by its reference <see cref="PackTransposingScalar{T}"/>: for the tests.
    /// </summary>
    internal static void PackTransposing(ReadOnlySpan<float> src, int along, int length, int depth, int width, Span<float> dst, bool reference)
    {
        if ((long)(length - 1) * along + depth > src.Length || (length + width - 1) / width * width * depth + 8 > dst.Length)
            throw new ArgumentException("A buffer is smaller than its panel (dst needs 8 values of slack).");
        fixed (float* s = src, d = dst)
        {
            if (reference) PackTransposingScalar(s, along, 1, length, depth, width, d);
            else PackTransposing(s, along, length, depth, width, d);
        }
    }

    /// <summary>Zeros read in place of the rows past a matrix's edge (or past a tile narrower than 8) by <see cref="PackTransposing"/>.</summary>
    private static readonly float* ZeroRow = Zeros(ZeroRowLength);
    private const int ZeroRowLength = 1024;

    private static float* Zeros(int length)
    {
        var p = (float*)NativeMemory.AlignedAlloc((nuint)length * sizeof(float), 64);
        new Span<float>(p, length).Clear();
        return p;
    }

    /// <summary>
    /// Depth-contiguous packing of float32 with AVX: 8 source rows × 8 depths at a time are loaded, transposed in
    /// registers and stored as 8 runs of the sliver. A tile of width ≤ 8 (MR = 6) reads zeros for its missing rows
    /// and stores whole vectors that overlap the next run by 8 − width values, each overwritten by the store after
    /// it (the last one spills up to 7 values past the sliver, into the next sliver or the scratch buffer's slack);
    /// wider tiles (NR = 16) go 8 rows at a time. Same layout as <see cref="PackTransposingScalar"/>, its reference.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackTransposing(float* src, nint along, int length, int depth, int width, float* dst)
    {
        int depth8 = depth & ~7;
        for (int r0 = 0; r0 < length; r0 += width, dst += width * depth)
        {
            int rows = Math.Min(width, length - r0);
            for (int g = 0; g < width; g += 8)
            {
                // Row pointers of this group of 8; a row past the matrix or past the tile reads the zero row.
                float* p0 = Row(0), p1 = Row(1), p2 = Row(2), p3 = Row(3), p4 = Row(4), p5 = Row(5), p6 = Row(6), p7 = Row(7);
                float* d = dst + g;
                for (int p = 0; p < depth8; p += 8, d += 8 * width)
                {
                    var t0 = Avx.UnpackLow(Vector256.Load(p0 + p), Vector256.Load(p1 + p));
                    var t1 = Avx.UnpackHigh(Vector256.Load(p0 + p), Vector256.Load(p1 + p));
                    var t2 = Avx.UnpackLow(Vector256.Load(p2 + p), Vector256.Load(p3 + p));
                    var t3 = Avx.UnpackHigh(Vector256.Load(p2 + p), Vector256.Load(p3 + p));
                    var t4 = Avx.UnpackLow(Vector256.Load(p4 + p), Vector256.Load(p5 + p));
                    var t5 = Avx.UnpackHigh(Vector256.Load(p4 + p), Vector256.Load(p5 + p));
                    var t6 = Avx.UnpackLow(Vector256.Load(p6 + p), Vector256.Load(p7 + p));
                    var t7 = Avx.UnpackHigh(Vector256.Load(p6 + p), Vector256.Load(p7 + p));
                    var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
                    var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
                    var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
                    var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
                    // Depth p + q of rows g..g+8 is column q of the 8 × 8 block.
                    Avx.Permute2x128(u0, u4, 0x20).Store(d);
                    Avx.Permute2x128(u1, u5, 0x20).Store(d + width);
                    Avx.Permute2x128(u2, u6, 0x20).Store(d + 2 * width);
                    Avx.Permute2x128(u3, u7, 0x20).Store(d + 3 * width);
                    Avx.Permute2x128(u0, u4, 0x31).Store(d + 4 * width);
                    Avx.Permute2x128(u1, u5, 0x31).Store(d + 5 * width);
                    Avx.Permute2x128(u2, u6, 0x31).Store(d + 6 * width);
                    Avx.Permute2x128(u3, u7, 0x31).Store(d + 7 * width);
                }

                float* Row(int i)
                {
                    int r = g + i;
                    return r < rows && r < width ? src + (r0 + r) * along : ZeroRow;
                }
            }
            // The last depths, one value at a time (after the vectors, so they overwrite any overlap).
            for (int p = depth8; p < depth; p++)
                for (int r = 0; r < width; r++)
                    dst[p * width + r] = r < rows ? src[(r0 + r) * along + p] : 0f;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRun<T>(T* src, T* dst, int count) where T : unmanaged
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + Vector256<T>.Count <= count; i += Vector256<T>.Count)
                Vector256.Load(src + i).Store(dst + i);
        for (; i < count; i++) dst[i] = src[i];
    }

    /// <summary>One register tile: c = alpha·(a sliver · b sliver) + s, or without s when it is null (s may be c).</summary>
    private static void Tile<T>(MicroKernel kernel, int kc, T* a, T* b, T* c, T* s, T alpha, nint ldc) where T : unmanaged, INumber<T>
    {
        switch (kernel)
        {
            case MicroKernel.Vector512: Kernel512(kc, a, b, c, s, alpha, ldc); break;
            case MicroKernel.Vector256: Kernel256(kc, a, b, c, s, alpha, ldc); break;
            default: KernelScalar(kc, a, b, c, s, alpha, ldc); break;
        }
    }

    /// <summary>6 × 2 ymm tile: C[6, 2W] (+)= Σ_p a[p, 0..6] ⊗ b[p, 0..2W]; 12 accumulators live in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256<T>(int kc, T* a, T* b, T* c, T* s, T alpha, nint ldc) where T : unmanaged, INumber<T>
    {
        int w = Vector256<T>.Count;
        PrefetchTile(c, ldc, 6, 2 * w);
        if (s != c && s is not null) PrefetchTile(s, ldc, 6, 2 * w);
        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++, a += 6, b += 2 * w)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + w);
            var x = Vector256.Create(a[0]); c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01);
            x = Vector256.Create(a[1]); c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11);
            x = Vector256.Create(a[2]); c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21);
            x = Vector256.Create(a[3]); c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31);
            x = Vector256.Create(a[4]); c40 = Fma(x, b0, c40); c41 = Fma(x, b1, c41);
            x = Vector256.Create(a[5]); c50 = Fma(x, b0, c50); c51 = Fma(x, b1, c51);
        }
        var al = Vector256.Create(alpha);
        Store(c, s, 0, c00, c01, al); Store(c, s, ldc, c10, c11, al); Store(c, s, 2 * ldc, c20, c21, al);
        Store(c, s, 3 * ldc, c30, c31, al); Store(c, s, 4 * ldc, c40, c41, al); Store(c, s, 5 * ldc, c50, c51, al);
    }

    /// <summary>
    /// <see cref="Kernel256"/> reading A in place: six rows <paramref name="lda"/> apart, each advancing one value per
    /// depth step, instead of a packed sliver.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256Rows<T>(int kc, T* a, nint lda, T* b, T* c, T* s, T alpha, nint ldc) where T : unmanaged, INumber<T>
    {
        int w = Vector256<T>.Count;
        PrefetchTile(c, ldc, 6, 2 * w);
        if (s != c && s is not null) PrefetchTile(s, ldc, 6, 2 * w);
        T* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda, a4 = a + 4 * lda, a5 = a + 5 * lda;
        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++, b += 2 * w)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + w);
            var x = Vector256.Create(a0[p]); c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01);
            x = Vector256.Create(a1[p]); c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11);
            x = Vector256.Create(a2[p]); c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21);
            x = Vector256.Create(a3[p]); c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31);
            x = Vector256.Create(a4[p]); c40 = Fma(x, b0, c40); c41 = Fma(x, b1, c41);
            x = Vector256.Create(a5[p]); c50 = Fma(x, b0, c50); c51 = Fma(x, b1, c51);
        }
        var al = Vector256.Create(alpha);
        Store(c, s, 0, c00, c01, al); Store(c, s, ldc, c10, c11, al); Store(c, s, 2 * ldc, c20, c21, al);
        Store(c, s, 3 * ldc, c30, c31, al); Store(c, s, 4 * ldc, c40, c41, al); Store(c, s, 5 * ldc, c50, c51, al);
    }

    /// <summary>12 × 2 zmm tile: as <see cref="Kernel256"/> with 24 accumulators in AVX-512's 32 registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512<T>(int kc, T* a, T* b, T* c, T* s, T alpha, nint ldc) where T : unmanaged, INumber<T>
    {
        int w = Vector512<T>.Count;
        PrefetchTile(c, ldc, 12, 2 * w);
        if (s != c && s is not null) PrefetchTile(s, ldc, 12, 2 * w);
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<T> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        Vector512<T> c90 = default, c91 = default, ca0 = default, ca1 = default, cb0 = default, cb1 = default;
        for (int p = 0; p < kc; p++, a += 12, b += 2 * w)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + w);
            var x = Vector512.Create(a[0]); c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01);
            x = Vector512.Create(a[1]); c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11);
            x = Vector512.Create(a[2]); c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21);
            x = Vector512.Create(a[3]); c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31);
            x = Vector512.Create(a[4]); c40 = Fma(x, b0, c40); c41 = Fma(x, b1, c41);
            x = Vector512.Create(a[5]); c50 = Fma(x, b0, c50); c51 = Fma(x, b1, c51);
            x = Vector512.Create(a[6]); c60 = Fma(x, b0, c60); c61 = Fma(x, b1, c61);
            x = Vector512.Create(a[7]); c70 = Fma(x, b0, c70); c71 = Fma(x, b1, c71);
            x = Vector512.Create(a[8]); c80 = Fma(x, b0, c80); c81 = Fma(x, b1, c81);
            x = Vector512.Create(a[9]); c90 = Fma(x, b0, c90); c91 = Fma(x, b1, c91);
            x = Vector512.Create(a[10]); ca0 = Fma(x, b0, ca0); ca1 = Fma(x, b1, ca1);
            x = Vector512.Create(a[11]); cb0 = Fma(x, b0, cb0); cb1 = Fma(x, b1, cb1);
        }
        var al = Vector512.Create(alpha);
        Store(c, s, 0, c00, c01, al); Store(c, s, ldc, c10, c11, al); Store(c, s, 2 * ldc, c20, c21, al);
        Store(c, s, 3 * ldc, c30, c31, al); Store(c, s, 4 * ldc, c40, c41, al); Store(c, s, 5 * ldc, c50, c51, al);
        Store(c, s, 6 * ldc, c60, c61, al); Store(c, s, 7 * ldc, c70, c71, al); Store(c, s, 8 * ldc, c80, c81, al);
        Store(c, s, 9 * ldc, c90, c91, al); Store(c, s, 10 * ldc, ca0, ca1, al); Store(c, s, 11 * ldc, cb0, cb1, al);
    }

    /// <summary>4 × 4 tile in scalars, for machines without 256-bit SIMD; same packed layout as the vector kernels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelScalar<T>(int kc, T* a, T* b, T* c, T* s, T alpha, nint ldc) where T : unmanaged, INumber<T>
    {
        T* acc = stackalloc T[16];
        new Span<T>(acc, 16).Clear();
        for (int p = 0; p < kc; p++, a += 4, b += 4)
            for (int r = 0; r < 4; r++)
            {
                T x = a[r];
                acc[r * 4] += x * b[0]; acc[r * 4 + 1] += x * b[1]; acc[r * 4 + 2] += x * b[2]; acc[r * 4 + 3] += x * b[3];
            }
        for (int r = 0; r < 4; r++)
            for (int j = 0; j < 4; j++)
                c[r * ldc + j] = s is null ? alpha * acc[r * 4 + j] : MulAdd(alpha, acc[r * 4 + j], s[r * ldc + j]);
    }

    /// <summary>
    /// Starts fetching the C tile, which is read and written only after the k loop: by then it is in L1 instead
    /// of costing a row of cache misses (C is far larger than the caches and its rows are a whole stride apart).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTile<T>(T* c, nint ldc, int rows, int cols) where T : unmanaged
    {
        if (!Sse.IsSupported) return;
        for (int r = 0; r < rows; r++, c += ldc)
        {
            Sse.Prefetch0(c);
            Sse.Prefetch0(c + cols - 1);
        }
    }

    /// <summary>x·y + z rounded once, as the vector tiles do it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T MulAdd<T>(T x, T y, T z) where T : unmanaged, INumber<T> =>
        typeof(T) == typeof(float) ? (T)(object)MathF.FusedMultiplyAdd((float)(object)x, (float)(object)y, (float)(object)z)
        : typeof(T) == typeof(double) ? (T)(object)Math.FusedMultiplyAdd((double)(object)x, (double)(object)y, (double)(object)z)
        : x * y + z;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Fma<T>(Vector256<T> x, Vector256<T> y, Vector256<T> z) =>
        typeof(T) == typeof(float)
            ? Vector256.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>()
            : Vector256.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> x, Vector512<T> y, Vector512<T> z) =>
        typeof(T) == typeof(float)
            ? Vector512.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>()
            : Vector512.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();

    /// <summary>Row <paramref name="offset"/> of a tile: c = alpha·x + s (s null: alpha·x). alpha·x is exact for alpha 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(T* c, T* s, nint offset, Vector256<T> x0, Vector256<T> x1, Vector256<T> alpha) where T : unmanaged
    {
        int w = Vector256<T>.Count;
        if (s is null) { x0 *= alpha; x1 *= alpha; }
        else { x0 = Fma(alpha, x0, Vector256.Load(s + offset)); x1 = Fma(alpha, x1, Vector256.Load(s + offset + w)); }
        x0.Store(c + offset);
        x1.Store(c + offset + w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(T* c, T* s, nint offset, Vector512<T> x0, Vector512<T> x1, Vector512<T> alpha) where T : unmanaged
    {
        int w = Vector512<T>.Count;
        if (s is null) { x0 *= alpha; x1 *= alpha; }
        else { x0 = Fma(alpha, x0, Vector512.Load(s + offset)); x1 = Fma(alpha, x1, Vector512.Load(s + offset + w)); }
        x0.Store(c + offset);
        x1.Store(c + offset + w);
    }

    /// <summary>
    /// Per-thread packing buffers, grown on demand and then reused, so a warm product allocates nothing. Pinned
    /// (never moved by the GC) and 64-byte aligned so packed slivers start on cache lines.
    /// </summary>
    private sealed class Scratch<T> where T : unmanaged
    {
        [ThreadStatic] private static Scratch<T>? current;
        private T[] aArray = [], bArray = [];
        private T* a, b;

        /// <summary>Room for an A block of <paramref name="length"/> values.</summary>
        public static T* A(int length)
        {
            var s = current ??= new Scratch<T>();
            if (s.aArray.Length < length + 64) s.a = Allocate(length, out s.aArray);
            return s.a;
        }

        /// <summary>Room for a B panel of <paramref name="length"/> values.</summary>
        public static T* B(int length)
        {
            var s = current ??= new Scratch<T>();
            if (s.bArray.Length < length + 64) s.b = Allocate(length, out s.bArray);
            return s.b;
        }

        private static T* Allocate(int length, out T[] array)
        {
            array = GC.AllocateUninitializedArray<T>(length + 64, pinned: true);
            var p = (nint)Unsafe.AsPointer(ref array[0]);
            return (T*)((p + 63) & ~(nint)63);
        }
    }

    /// <summary>The parts of one product as work for <see cref="CpuParallel"/>; one per thread, reused (no allocation per product).</summary>
    private sealed class PartsJob<T> : IRangeWork where T : unmanaged, INumber<T>
    {
        [ThreadStatic] private static PartsJob<T>? current;
        public static PartsJob<T> ForThisThread => current ??= new();
        public Problem<T> Problem;
        public int Parts;

        public void Run(int start, int end)
        {
            for (int part = start; part < end; part++) Problem.Run(part, Parts);
        }
    }
}
