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

    public void Add(double value)
    {
        _counts[UpperBound(DefaultLimits, value)] += 1;
        if (value < _min) _min = value;
        if (value > _max) _max = value;
        _num++;
        _sum += value;
        _sumSquares += value * value;
    }

    /// <summary>The first index whose edge is greater than <paramref name="value"/> (C++'s upper_bound).</summary>
    private static int UpperBound(double[] limits, double value)
    {
        int lo = 0, hi = limits.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (limits[mid] <= value) lo = mid + 1;
            else hi = mid;
        }
        return lo;
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
