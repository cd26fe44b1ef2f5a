using System.Numerics;
using System.Runtime.Intrinsics;
using DataflowNet;
using DataflowNet.Kernels.Cpu;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>
/// The blocked <see cref="Gemm"/> against the plain i-k-j <see cref="MatMulKernels.Reference{T}"/> run in float64:
/// every micro-kernel (the 512-bit one runs in software where AVX-512 is missing), edge sizes around the register
/// tile and the cache blocks, all four transpose combinations, accumulation, the parallel split and zero sizes.
/// </summary>
public class GemmTests : GraphTest
{
    private const double FloatTolerance = 1e-5, DoubleTolerance = 1e-12;

    /// <summary>Shapes (m, k, n) around a kernel's tile (MR × NR) and depth block (KC), plus odd large and skinny ones.</summary>
    private static IEnumerable<(int M, int K, int N)> Shapes(Blocking bl)
    {
        int mr = bl.MR, nr = bl.NR;
        yield return (1, 1, 1);
        yield return (mr - 1, 3, nr - 1);
        yield return (mr, 5, nr);
        yield return (mr + 1, 9, nr + 1);
        yield return (2 * mr + 1, 17, 2 * nr - 1);
        yield return (mr + 1, bl.KC + 1, nr - 1);
        yield return (127, 127, 127);
        yield return (129, 129, 129);
        yield return (257, 257, 257);
        yield return (3, 1000, 7);
        yield return (1000, 3, 7);
        yield return (7, 3, 1000);
        yield return (1, 300, 200);
        yield return (200, 300, 1);
    }

    [Test]
    public void Float32BlockedMatchesReference([Values("Scalar", "Vector256", "Vector512")] string kernel, [Values] bool ta, [Values] bool tb)
    {
        var bl = Blocking.For<float>(Kernel(kernel));
        foreach (var (m, k, n) in Shapes(bl))
            Check<float>(m, k, n, ta, tb, accumulate: false, bl, parts: 1, FloatTolerance);
    }

    [Test]
    public void PackedAndInPlaceRowMajorAMatchReference([Values] bool inPlace, [Values] bool tb, [Values(1, 2)] int parts)
    {
        // A row-major A is read in place by the 256-bit row kernel (a partial last row tile is packed); otherwise it is packed.
        try
        {
            Gemm.UnpackedA = inPlace;
            var bl = Blocking.For<float>(MicroKernel.Vector256);
            foreach (var (m, k, n) in Shapes(bl).Append((2 * bl.MC, bl.KC + 3, 2 * bl.NR + 5)).Append((bl.MC + 6, 7, 33)))
            {
                Check<float>(m, k, n, false, tb, accumulate: false, bl, parts, FloatTolerance);
                Check<float>(m, k, n, false, tb, accumulate: true, bl, parts, FloatTolerance);
                Check<double>(m, k, n, false, tb, accumulate: true, Blocking.For<double>(MicroKernel.Vector256), parts, DoubleTolerance);
            }
        }
        finally { Gemm.UnpackedA = true; }
    }

    [Test]
    public void Float64BlockedMatchesReference([Values("Scalar", "Vector256", "Vector512")] string kernel, [Values] bool ta, [Values] bool tb)
    {
        var bl = Blocking.For<double>(Kernel(kernel));
        foreach (var (m, k, n) in Shapes(bl))
            Check<double>(m, k, n, ta, tb, accumulate: false, bl, parts: 1, DoubleTolerance);
    }

    [Test]
    public void TinyCacheBlocksRunEveryLoop([Values("Scalar", "Vector256", "Vector512")] string kernel, [Values] bool ta, [Values] bool tb, [Values(1, 2)] int parts)
    {
        // Blocks of a few tiles so that the NC, KC and MC loops each take several turns, with edges in each.
        foreach (var (m, k, n) in new[] { (40, 23, 70), (13, 11, 100), (100, 12, 9) })
        {
            var f = Blocking.For<float>(Kernel(kernel));
            Check<float>(m, k, n, ta, tb, accumulate: false, f with { KC = 5, MC = 2 * f.MR, NC = 2 * f.NR }, parts, FloatTolerance);
            var d = Blocking.For<double>(Kernel(kernel));
            Check<double>(m, k, n, ta, tb, accumulate: true, d with { KC = 7, MC = 3 * d.MR, NC = 3 * d.NR }, parts, DoubleTolerance);
        }
    }

    [Test]
    public void AccumulateAddsToC([Values("Scalar", "Vector256", "Vector512")] string kernel, [Values] bool ta, [Values] bool tb)
    {
        foreach (var (m, k, n) in new[] { (1, 1, 1), (5, 7, 17), (37, 300, 45) })
        {
            Check<float>(m, k, n, ta, tb, accumulate: true, Blocking.For<float>(Kernel(kernel)), parts: 1, FloatTolerance);
            Check<double>(m, k, n, ta, tb, accumulate: true, Blocking.For<double>(Kernel(kernel)), parts: 2, DoubleTolerance);
        }
    }

    [Test]
    public void DirectLoopsMatchReference([Values] bool ta, [Values] bool tb, [Values] bool accumulate)
    {
        // The path for tiny products and matrix-vector shapes, wherever it applies.
        foreach (var (m, k, n) in new[] { (1, 1, 1), (2, 3, 2), (3, 5, 4), (1, 300, 70), (70, 300, 1), (9, 33, 17) })
        {
            if (ta && tb && m > 1 && n > 1) continue; // no direct form: such products always take the blocked path
            Check<float>(m, k, n, ta, tb, accumulate, blocking: null, parts: 1, FloatTolerance);
            Check<double>(m, k, n, ta, tb, accumulate, blocking: null, parts: 1, DoubleTolerance);
        }
    }

    [Test]
    public void DefaultPathMatchesReference([Values] bool ta, [Values] bool tb)
    {
        // Through the public entry: direct, single-threaded and two-core blocked products as it picks them.
        foreach (var (m, k, n) in new[] { (2, 3, 2), (8, 8, 8), (1, 500, 300), (300, 500, 1), (64, 64, 64), (300, 200, 250), (61, 515, 77) })
        {
            Check<float>(m, k, n, ta, tb, accumulate: false, FloatTolerance);
            Check<double>(m, k, n, ta, tb, accumulate: true, DoubleTolerance);
        }
    }

    [Test]
    public void ConcurrentProductsAreEachCorrect()
    {
        // One product gets the helper threads; the others find them busy and run on their own thread.
        Parallel.For(0, 4, i => Check<float>(150 + i, 170, 190 - i, ta: i % 2 == 1, tb: i >= 2, accumulate: false, FloatTolerance, seed: i));
    }

    [Test]
    public void ZeroSizedDimensions()
    {
        foreach (var blocking in new Blocking?[] { null, Blocking.Default<float>() })
        {
            // k = 0: the product is all zeros, so C is cleared, or kept when accumulating.
            var c = new[] { 1f, 2f, 3f, 4f, 5f, 6f, 99f };
            Gemm.Multiply<float>([], false, [], false, c, 2, 0, 3, accumulate: true, blocking, 1);
            Assert.That(c, Is.EqualTo(new[] { 1f, 2f, 3f, 4f, 5f, 6f, 99f }));
            Gemm.Multiply<float>([], true, [], true, c, 2, 0, 3, accumulate: false, blocking, 1);
            Assert.That(c, Is.EqualTo(new[] { 0f, 0f, 0f, 0f, 0f, 0f, 99f }));
            // m = 0 or n = 0: nothing to write.
            var untouched = new[] { 7.0 };
            Gemm.Multiply<double>([], false, new double[12], false, untouched, 0, 3, 4, false, blocking, 1);
            Gemm.Multiply<double>(new double[6], false, [], false, untouched, 2, 3, 0, false, blocking, 1);
            Assert.That(untouched, Is.EqualTo(new[] { 7.0 }));
        }

        // And through the graph: [2,0]·[0,3] is a 2x3 of zeros, [0,3]·[3,4] is empty.
        var zeros = Eval(tf.matmul(tf.constant(new float[2, 0]), tf.constant(new float[0, 3])));
        AssertValue(zeros, new float[6], [2, 3]);
        var empty = Eval(tf.matmul(tf.constant(new double[0, 3], dtype: tf.float64), tf.constant(new double[3, 4], dtype: tf.float64)));
        AssertValue(empty, Array.Empty<double>(), [0, 4]);
    }

    [Test]
    public void NaNAndInfinityReachTheirRowsAndColumnsOnly([Values("Scalar", "Vector256", "Vector512")] string kernel)
    {
        // A is all zeros except row 0; B has a NaN in column 3 and +∞ in column 20. 0·NaN and 0·∞ are NaN, so those
        // whole columns are NaN; the zero padding of edge tiles must not leak NaN into other elements.
        int m = 13, k = 10, n = 37;
        var a = new float[m * k];
        for (int p = 0; p < k; p++) a[p] = 1;
        var b = new float[k * n];
        b[4 * n + 3] = float.NaN;
        b[7 * n + 20] = float.PositiveInfinity;
        var c = new float[m * n];
        Gemm.Multiply<float>(a, false, b, false, c, m, k, n, false, Blocking.For<float>(Kernel(kernel)), 1);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float v = c[i * n + j];
                if (j == 3 || (j == 20 && i > 0)) Assert.That(float.IsNaN(v), $"[{i},{j}] = {v}");
                else if (j == 20) Assert.That(v, Is.EqualTo(float.PositiveInfinity), $"[{i},{j}]");
                else Assert.That(v, Is.EqualTo(0f), $"[{i},{j}]");
            }
    }

    [Test]
    public void MatMulOpTakesTheFastPathWithTransposes()
    {
        // Large enough for the blocked two-core path, through tf.matmul with transpose_a and transpose_b.
        int m = 70, k = 90, n = 110;
        var r = new Random(3);
        double[] at = Enumerable.Range(0, k * m).Select(_ => r.NextDouble() - 0.5).ToArray(); // stored [k, m]
        double[] bt = Enumerable.Range(0, n * k).Select(_ => r.NextDouble() - 0.5).ToArray(); // stored [n, k]
        var c = Eval(tf.matmul(tf.constant(at, shape: new[] { k, m }, dtype: tf.float64), tf.constant(bt, shape: new[] { n, k }, dtype: tf.float64),
            transpose_a: true, transpose_b: true));
        var expected = new double[m * n];
        MatMulKernels.Reference(Transpose(at, k, m), Transpose(bt, n, k), expected, m, k, n);
        MathAssert.Close(c, tf.float64, [m, n], expected, 1e-12, 1e-12);
    }

    [Test]
    public void VectorPackingMatchesScalarPacking([Values(4, 6, 8, 16, 32)] int width)
    {
        if (!System.Runtime.Intrinsics.X86.Avx.IsSupported) Assert.Ignore("The vector packing needs AVX.");
        // Depth-contiguous slivers (A as stored, B transposed): whole and partial slivers, depths around 8 and long ones.
        var r = new Random(width);
        foreach (var (length, depth, along) in new[] { (width, 8, 8), (3 * width + 1, 17, 21), (2 * width - 1, 256, 300), (1, 5, 9), (5 * width, 64, 64) })
        {
            var src = Enumerable.Range(0, length * along).Select(_ => (float)r.NextDouble()).ToArray();
            int slivers = (length + width - 1) / width, size = slivers * width * depth;
            // Room past the end, as the scratch buffers have: a narrow tile's last vector store spills into it.
            var fast = new float[size + 16];
            var reference = new float[size + 16];
            Gemm.PackTransposing(src, along, length, depth, width, fast, reference: false);
            Gemm.PackTransposing(src, along, length, depth, width, reference, reference: true);
            Assert.That(fast.AsSpan(0, size).ToArray(), Is.EqualTo(reference.AsSpan(0, size).ToArray()), $"length {length}, depth {depth}, width {width}");
        }
    }

    [Test]
    public void RowGroupPackingMatchesRowPacking([Values(8, 16, 32)] int width)
    {
        // Contiguous slivers (B as stored): whole and partial slivers, depths around the row group of 8 and long ones.
        var r = new Random(width);
        foreach (var (length, depth, deep) in new[] { (width, 8, 8 * width), (3 * width + 1, 17, 3 * width + 5), (2 * width - 1, 256, 300), (1, 5, 9), (5 * width, 64, 5 * width), (7, 9, 7) })
        {
            var src = Enumerable.Range(0, (depth - 1) * deep + length).Select(_ => (float)r.NextDouble()).ToArray();
            int slivers = (length + width - 1) / width, size = slivers * width * depth;
            var fast = Enumerable.Repeat(-1f, size + 16).ToArray();
            var reference = Enumerable.Repeat(-1f, size + 16).ToArray();
            Gemm.PackCopying(src, deep, length, depth, width, fast, reference: false);
            Gemm.PackCopying(src, deep, length, depth, width, reference, reference: true);
            Assert.That(fast, Is.EqualTo(reference), $"length {length}, depth {depth}, width {width}");
        }
    }

    [Test]
    public void MultiplyAddScalesAndAddsASeparateAddend([Values("Scalar", "Vector256", "Vector512", "Direct")] string path, [Values] bool ta, [Values] bool tb, [Values(1, 2)] int parts)
    {
        // c = alpha·op(a)·op(b) + addend, the fused w − lr·xᵀ·dy of a gradient-descent step; the addend is left alone.
        Blocking? bl = path == "Direct" ? null : Blocking.For<float>(Kernel(path));
        var shapes = bl is { } b ? Shapes(b) : new[] { (1, 5, 7), (4, 3, 1), (3, 300, 2), (1, 1, 1) };
        foreach (var (m, k, n) in shapes)
        {
            if (bl is null && ta && tb && m != 1 && n != 1) continue; // no direct loop for that layout
            RunMultiplyAdd<float>(m, k, n, ta, tb, -0.375f, FloatTolerance, (a, x, addend, c) =>
                Gemm.MultiplyAdd<float>(a, ta, x, tb, -0.375f, addend, c, m, k, n, bl, parts));
            RunMultiplyAdd<double>(m, k, n, ta, tb, 2.5, DoubleTolerance, (a, x, addend, c) =>
                Gemm.MultiplyAdd<double>(a, ta, x, tb, 2.5, addend, c, m, k, n, bl is null ? null : Blocking.For<double>(bl.Value.Kernel), parts));
        }
    }

    [Test]
    public void MultiplyAddWithZeroDepthCopiesTheAddend()
    {
        var addend = new[] { 1f, 2f, 3f, 4f, 5f, 6f };
        var c = new float[6];
        Gemm.MultiplyAdd<float>([], false, [], false, -1f, addend, c, 2, 0, 3);
        Assert.That(c, Is.EqualTo(addend));
    }

    private static void RunMultiplyAdd<T>(int m, int k, int n, bool ta, bool tb, T alpha, double tolerance, Action<T[], T[], T[], T[]> multiplyAdd)
        where T : unmanaged, INumber<T>
    {
        var r = new Random(m * 31 + k * 17 + n);
        double[] ad = Random<T>(r, m * k), bd = Random<T>(r, k * n), sd = Random<T>(r, m * n);
        T[] a = Convert<T>(ta ? Transpose(ad, m, k) : ad), b = Convert<T>(tb ? Transpose(bd, k, n) : bd), addend = Convert<T>(sd);
        var c = Enumerable.Repeat(T.CreateChecked(12345), m * n + 1).ToArray();
        multiplyAdd(a, b, addend, c);
        var exact = new double[m * n];
        var scale = new double[m * n];
        MatMulKernels.Reference(ad, bd, exact, m, k, n);
        MatMulKernels.Reference(ad.Select(Math.Abs).ToArray(), bd.Select(Math.Abs).ToArray(), scale, m, k, n);
        double al = double.CreateChecked(alpha);
        string what = $"{typeof(T).Name} {m}x{k}x{n} ta={ta} tb={tb}";
        for (int i = 0; i < m * n; i++)
        {
            double want = sd[i] + al * exact[i], got = double.CreateChecked(c[i]);
            Assert.That(got, Is.EqualTo(want).Within(tolerance * (Math.Abs(al) * scale[i] + Math.Abs(sd[i])) + 1e-300), $"{what} [{i / n},{i % n}]");
        }
        Assert.That(c[m * n], Is.EqualTo(T.CreateChecked(12345)), $"{what}: wrote past C");
        Assert.That(addend, Is.EqualTo(Convert<T>(sd)), $"{what}: changed the addend");
    }

    [Test]
    public void DefaultKernelIsTheWidestAccelerated()
    {
        // The 512-bit kernel is exercised above even without AVX-512 (in software); by default it is only chosen where accelerated.
        var expected = Vector512.IsHardwareAccelerated ? MicroKernel.Vector512
            : Vector256.IsHardwareAccelerated ? MicroKernel.Vector256 : MicroKernel.Scalar;
        Assert.That(Blocking.Default<float>().Kernel, Is.EqualTo(expected));
    }

    // The enum is internal, so test parameters name it.
    private static MicroKernel Kernel(string name) => Enum.Parse<MicroKernel>(name);

    private static void Check<T>(int m, int k, int n, bool ta, bool tb, bool accumulate, double tolerance, int seed = 0)
        where T : unmanaged, INumber<T> =>
        Run<T>(m, k, n, ta, tb, accumulate, tolerance, seed, (a, b, c) => Gemm.Multiply<T>(a, ta, b, tb, c, m, k, n, accumulate));

    private static void Check<T>(int m, int k, int n, bool ta, bool tb, bool accumulate, Blocking? blocking, int parts, double tolerance)
        where T : unmanaged, INumber<T> =>
        Run<T>(m, k, n, ta, tb, accumulate, tolerance, 0, (a, b, c) => Gemm.Multiply<T>(a, ta, b, tb, c, m, k, n, accumulate, blocking, parts));

    /// <summary>
    /// Runs a product on random operands stored as the transposes say and compares it, element by element, with the
    /// float64 reference: within <paramref name="tolerance"/> of Σ|A||B| (+|C₀|), the size of what was summed.
    /// C carries a sentinel past its end that must survive.
    /// </summary>
    private static void Run<T>(int m, int k, int n, bool ta, bool tb, bool accumulate, double tolerance, int seed, Action<T[], T[], T[]> multiply)
        where T : unmanaged, INumber<T>
    {
        var r = new Random(seed * 7919 + m * 31 + k * 17 + n);
        // Values rounded to T first, so the reference sees exactly the operands the kernel sees.
        double[] ad = Random<T>(r, m * k), bd = Random<T>(r, k * n), c0 = accumulate ? Random<T>(r, m * n) : new double[m * n];
        T[] a = Convert<T>(ta ? Transpose(ad, m, k) : ad), b = Convert<T>(tb ? Transpose(bd, k, n) : bd);
        var c = new T[m * n + 1];
        for (int i = 0; i < c.Length; i++) c[i] = accumulate && i < m * n ? T.CreateChecked(c0[i]) : T.CreateChecked(12345);
        multiply(a, b, c);

        var exact = new double[m * n];
        var scale = new double[m * n];
        MatMulKernels.Reference(ad, bd, exact, m, k, n);
        MatMulKernels.Reference(ad.Select(Math.Abs).ToArray(), bd.Select(Math.Abs).ToArray(), scale, m, k, n);
        var bad = new List<string>();
        for (int i = 0; i < m * n; i++)
        {
            double want = c0[i] + exact[i], got = double.CreateChecked(c[i]);
            if (!(Math.Abs(got - want) <= tolerance * (scale[i] + Math.Abs(c0[i])) + 1e-300) && bad.Count < 5)
                bad.Add($"[{i / n},{i % n}] expected {want:R}, got {got:R}");
        }
        string what = $"{typeof(T).Name} {m}x{k}x{n} ta={ta} tb={tb} accumulate={accumulate}";
        Assert.That(bad, Is.Empty, what);
        Assert.That(c[m * n], Is.EqualTo(T.CreateChecked(12345)), $"{what}: wrote past C");
    }

    private static double[] Random<T>(Random r, int count) where T : unmanaged, INumber<T> =>
        Enumerable.Range(0, count).Select(_ => double.CreateChecked(T.CreateChecked(r.NextDouble() * 2 - 1))).ToArray();

    private static T[] Convert<T>(double[] v) where T : unmanaged, INumber<T> => v.Select(T.CreateChecked).ToArray();

    /// <summary>The [cols, rows] transpose of a row-major [rows, cols] matrix.</summary>
    private static double[] Transpose(double[] v, int rows, int cols)
    {
        var t = new double[v.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                t[j * rows + i] = v[i * cols + j];
        return t;
    }
}
