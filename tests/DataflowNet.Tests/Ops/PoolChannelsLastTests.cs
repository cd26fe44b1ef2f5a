using System.Numerics;
using DataflowNet;
using DataflowNet.Kernels.Cpu;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>
/// The NHWC max pooling kernels vectorized across channels against the per-element reference loop beside them:
/// bit-for-bit equal outputs and gradients, with ties, NaNs, overlapping and clipped windows, and channel counts
/// that leave a scalar remainder; plus the first-maximum rule by hand through the graph.
/// </summary>
public class PoolChannelsLastTests : GraphTest
{
    private static readonly (int N, int H, int W, int C, int K, int S, bool Same)[] Geometries =
    [
        (3, 7, 6, 11, 2, 2, true),   // clipped last row and column, 3 remainder channels (float)
        (2, 8, 8, 8, 2, 2, false),   // whole vectors only
        (2, 6, 7, 17, 3, 1, true),   // overlapping windows
        (1, 9, 5, 32, 3, 2, false),
        (4, 5, 5, 4, 2, 1, true),    // 4 channels: one double vector, scalar-only for float
    ];

    [Test]
    public void MatchesTheReferenceLoop([Values] bool withNaN)
    {
        foreach (var geometry in Geometries)
        {
            Compare<float>(geometry, withNaN);
            Compare<double>(geometry, withNaN);
        }
    }

    private static void Compare<T>((int N, int H, int W, int C, int K, int S, bool Same) s, bool withNaN) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = Window2D.Pool([s.N, s.H, s.W, s.C], [1, s.K, s.K, 1], [1, s.S, s.S, 1], nchw: false, s.Same, m => new InvalidOperationException(m));
        var r = new Random(s.N * 1000 + s.C);
        // Values from a small set, so most windows hold ties.
        var x = Enumerable.Range(0, s.N * s.H * s.W * s.C).Select(_ => T.CreateChecked(r.Next(-3, 4) * 0.5)).ToArray();
        if (withNaN)
            for (int i = 0; i < x.Length; i += 7) x[i] = T.NaN;
        var outDims = g.OutputDims();
        int outCount = outDims.Aggregate(1, (a, b) => a * b);
        T[] fast = new T[outCount], reference = new T[outCount];
        PoolKernels.MaxPool(x, fast, g, reference: false);
        PoolKernels.MaxPool(x, reference, g, reference: true);
        string what = $"{typeof(T).Name} {s} NaN={withNaN}";
        Assert.That(fast, Is.EqualTo(reference), what);

        var grad = Enumerable.Range(0, outCount).Select(_ => T.CreateChecked(r.NextDouble() * 2 - 1)).ToArray();
        T[] dxFast = new T[x.Length], dxReference = new T[x.Length];
        PoolKernels.MaxPoolGrad(x, grad, dxFast, g, reference: false);
        PoolKernels.MaxPoolGrad(x, grad, dxReference, g, reference: true);
        Assert.That(dxFast, Is.EqualTo(dxReference), what + " gradient");
    }

    [Test]
    public void TiedWindowSendsTheGradientToItsFirstElementInEveryChannel()
    {
        // One 2×2 window of 8 channels: channel c holds c at every position except where noted.
        var values = new float[2 * 2 * 8];
        for (int p = 0; p < 4; p++)
            for (int c = 0; c < 8; c++) values[p * 8 + c] = c;
        values[3 * 8 + 5] = 9; // channel 5's maximum is the last element
        values[1 * 8 + 2] = 4; // channel 2's is the second
        var x = tf.constant(values, shape: new TensorShape(1, 2, 2, 8));
        var y = tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID");
        var dx = tf.gradients(tf.reduce_sum(y * tf.constant(Enumerable.Range(1, 8).Select(i => (float)i).ToArray())), x)[0];
        using var sess = tf.Session();
        AssertValue(sess.run(y), new[] { 0f, 1, 4, 3, 4, 9, 6, 7 }, [1, 1, 1, 8]);
        var expected = new float[32];
        for (int c = 0; c < 8; c++) expected[(c == 5 ? 3 : c == 2 ? 1 : 0) * 8 + c] = c + 1;
        AssertValue(sess.run(dx!), expected, [1, 2, 2, 8]);
    }
}
