using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>Tolerant comparison of fetched values with expectations computed in double by the tests themselves.</summary>
internal static class MathAssert
{
    /// <summary>
    /// Checks dtype, shape and every element: |actual - expected| ≤ abs + rel·|expected|. NaN must meet NaN and
    /// an infinity the same infinity. All mismatches are reported together.
    /// </summary>
    public static void Close(TensorValue actual, DataType dtype, int[] shape, double[] expected, double rel, double abs = 0, string what = "")
    {
        Assert.That(actual.dtype, Is.EqualTo(dtype), $"{what} dtype");
        Assert.That(actual.shape, Is.EqualTo(shape), $"{what} shape");
        var got = actual.ToArray<double>();
        Assert.That(got, Has.Length.EqualTo(expected.Length), $"{what} element count");
        var bad = new List<string>();
        for (int i = 0; i < got.Length; i++)
        {
            double e = expected[i], g = got[i];
            bool ok = double.IsNaN(e) ? double.IsNaN(g)
                : double.IsInfinity(e) ? g == e
                : Math.Abs(g - e) <= abs + rel * Math.Abs(e);
            if (!ok && bad.Count < 10) bad.Add($"[{i}] expected {e:R}, got {g:R}");
        }
        Assert.That(bad, Is.Empty, $"{what} elements outside tolerance");
    }

    /// <summary>Every element is a finite number.</summary>
    public static void AllFinite(TensorValue actual)
    {
        var got = actual.ToArray<double>();
        Assert.That(got.Where(v => !double.IsFinite(v)), Is.Empty, "NaN or infinite elements");
    }
}

/// <summary>Reference computations in plain double loops, written independently of the library.</summary>
internal static class Reference
{
    public static double[] ToDouble(float[] v) => v.Select(x => (double)x).ToArray();

    public static int Count(int[] dims) => dims.Aggregate(1, (p, d) => p * d);

    /// <summary>NumPy broadcasting of f over x and y, by unravelling each output index.</summary>
    public static (double[] Values, int[] Shape) Broadcast(double[] x, int[] xs, double[] y, int[] ys, Func<double, double, double> f)
    {
        int rank = Math.Max(xs.Length, ys.Length);
        int[] xd = Pad(xs, rank), yd = Pad(ys, rank);
        var outShape = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            if (xd[i] != yd[i] && xd[i] != 1 && yd[i] != 1) throw new ArgumentException("not broadcastable");
            outShape[i] = Math.Max(xd[i], yd[i]);
        }
        var result = new double[Count(outShape)];
        var index = new int[rank];
        for (int o = 0; o < result.Length; o++)
        {
            int rem = o;
            for (int k = rank - 1; k >= 0; k--) { index[k] = rem % outShape[k]; rem /= outShape[k]; }
            result[o] = f(x[Flat(index, xd)], y[Flat(index, yd)]);
        }
        return (result, outShape);
    }

    private static int[] Pad(int[] dims, int rank) => Enumerable.Repeat(1, rank - dims.Length).Concat(dims).ToArray();

    /// <summary>Row-major offset of a (broadcast) index in a tensor of <paramref name="dims"/>: size-1 axes read index 0.</summary>
    private static int Flat(int[] index, int[] dims)
    {
        int offset = 0;
        for (int k = 0; k < dims.Length; k++) offset = offset * dims[k] + (dims[k] == 1 ? 0 : index[k]);
        return offset;
    }

    /// <summary>C[m,n] = Σ_k A[m,k]·B[k,n], row-major, in double.</summary>
    public static double[] MatMul(double[] a, double[] b, int m, int k, int n)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
                c[i * n + j] = s;
            }
        return c;
    }

    /// <summary>Transpose of a row-major rows×cols matrix.</summary>
    public static T[] Transpose<T>(T[] a, int rows, int cols)
    {
        var t = new T[a.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
        return t;
    }

    /// <summary>Random values in [-1, 1) from a fixed seed.</summary>
    public static float[] RandomFloats(int count, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }
}
