using System.Numerics;
using DataflowNet.Io.Proto;

namespace DataflowNet.Io.Summaries;

/// <summary>
/// TensorFlow's summary histogram (lib/histogram): fixed bucket edges growing by 10% from ±1e-12 to ±1e20, closed
/// by ±DBL_MAX and a 0 in the middle; bucket i counts the values in [edge(i-1), edge(i)). Encoded as TensorFlow
/// encodes it: each run of empty buckets collapses into one entry with the run's last edge and a count of 0.
/// </summary>
internal sealed class Histogram
{
    /// <summary>The default bucket right edges, ascending: -DBL_MAX, -1e20…-1e-12, 0, 1e-12…1e20, DBL_MAX.</summary>
    public static readonly double[] DefaultLimits = BuildDefaultLimits();

    private static double[] BuildDefaultLimits()
    {
        var positive = new List<double>();
        for (double v = 1e-12; v < 1e20; v *= 1.1) positive.Add(v);
        positive.Add(double.MaxValue);
        var limits = new List<double>(2 * positive.Count + 1);
        for (int i = positive.Count - 1; i >= 0; i--) limits.Add(-positive[i]);
        limits.Add(0.0);
        limits.AddRange(positive);
        return limits.ToArray();
    }

    private readonly double[] _counts = new double[DefaultLimits.Length];
    private double _min = double.MaxValue, _max = -double.MaxValue, _num, _sum, _sumSquares;

    /// <summary>
    /// Adds every value, as doubles; stops at the first NaN or infinity and returns its index (-1 when all were
    /// added). The running figures stay in locals for the loop: this is the summary's whole cost.
    /// </summary>
    public int AddRange<T>(ReadOnlySpan<T> values) where T : INumber<T>
    {
        var counts = _counts;
        double min = _min, max = _max, num = _num, sum = _sum, sumSquares = _sumSquares;
        int stop = -1;
        for (int i = 0; i < values.Length; i++)
        {
            var v = double.CreateTruncating(values[i]);
            if (!double.IsFinite(v)) { stop = i; break; }
            counts[BucketOf(v)] += 1;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
            num++;
            sum += v;
            sumSquares += v * v;
        }
        (_min, _max, _num, _sum, _sumSquares) = (min, max, num, sum, sumSquares);
        return stop;
    }

    // ---------- finding a value's bucket ----------
    // The bucket of v is upper_bound(edges, v): the first edge greater than v (TensorFlow's rule). A binary search over
    // the 1,551 edges mispredicts about every other of its 11 branches on weights (~50 ns a value here); the edges are
    // geometric, so a table indexed by the top bits of |v| (exponent and 4 mantissa bits: a range narrower than the
    // 10% between two edges) gives the answer to within one edge, found with no branch on the data (~6 ns). A histogram
    // of a 784x256 weight matrix then costs about 1.5 ms instead of 10.

    /// <summary>The positive edges, ascending (1e-12·1.1^k, then DBL_MAX); <see cref="DefaultLimits"/> is -P reversed, 0, P.</summary>
    private static readonly double[] Positive = DefaultLimits[(DefaultLimits.Length / 2 + 1)..];
    /// <summary>Index of 0 in <see cref="DefaultLimits"/>.</summary>
    private static readonly int Zero = DefaultLimits.Length / 2;
    private const int KeyShift = 48;
    /// <summary>For each key (the top 16 bits of a non-negative double), the first positive edge at or above the key's smallest value.</summary>
    private static readonly ushort[] EdgesBelow = BuildTable();

    private static ushort[] BuildTable()
    {
        // Non-negative doubles order as their bits do, so one pass up the keys walks up the edges.
        var table = new ushort[1 << 15];
        int k = 0;
        for (int key = 0; key < table.Length; key++)
        {
            var lo = BitConverter.Int64BitsToDouble((long)key << KeyShift);
            table[key] = (ushort)(k = double.IsFinite(lo) ? FirstAtLeast(lo, k) : Positive.Length);
        }
        return table;
    }

    /// <summary>The first positive edge ≥ <paramref name="u"/>, searching up from <paramref name="k"/>.</summary>
    private static int FirstAtLeast(double u, int k)
    {
        while (k < Positive.Length && Positive[k] < u) k++;
        return k;
    }

    /// <summary>The index into <see cref="DefaultLimits"/> of the first edge greater than <paramref name="value"/> (finite).</summary>
    internal static int BucketOf(double value)
    {
        // No branch on the data (the signs and edges of weights are a coin toss to a branch predictor): from the key of
        // |value|, k is the first positive edge at or above the key's range; a range spans less than the 10% between
        // edges, so at most one more edge can lie between it and |value|.
        double u = Math.Abs(value);
        int k = EdgesBelow[(int)(BitConverter.DoubleToInt64Bits(u) >>> KeyShift)];
        var edge = Positive[k];
        // value ≥ 0 (-0.0 included): the first edge > u, at Zero + 1 + k. DBL_MAX itself is past every edge, where
        // TensorFlow's upper_bound would index past its buckets: it takes the last.
        int above = Math.Min(Zero + 1 + k + (edge <= u ? 1 : 0), DefaultLimits.Length - 1);
        // value < 0: edge i < Zero is -Positive[Zero - 1 - i], greater than -u when that positive edge is below u.
        int below = Zero - k - (edge < u ? 1 : 0);
        return value < 0 ? below : above;
    }

    /// <summary>The same answer by binary search over every edge, as TensorFlow finds it (for the tests).</summary>
    internal static int UpperBound(double value)
    {
        int lo = 0, hi = DefaultLimits.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (DefaultLimits[mid] <= value) lo = mid + 1;
            else hi = mid;
        }
        return Math.Min(lo, DefaultLimits.Length - 1);
    }

    public HistogramProto ToProto()
    {
        var p = new HistogramProto { Min = _min, Max = _max, Num = _num, Sum = _sum, SumSquares = _sumSquares };
        for (int i = 0; i < _counts.Length;)
        {
            double edge = DefaultLimits[i], count = _counts[i];
            i++;
            if (count <= 0)
                while (i < _counts.Length && _counts[i] <= 0) { edge = DefaultLimits[i]; i++; }
            p.BucketLimit.Add(edge);
            p.Bucket.Add(count);
        }
        return p;
    }
}
