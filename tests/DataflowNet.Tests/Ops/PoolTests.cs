using DataflowNet;
using NUnit.Framework;
using static DataflowNet.Tests.ConvReference;

namespace DataflowNet.Tests;

/// <summary>tf.nn.max_pool and avg_pool: values by hand at the borders and on ties, against a direct reference, and errors.</summary>
public class PoolTests(string device) : DeviceTest(device)
{
    private static Tensor Image(double[] values, params int[] shape) => tf.constant(values, tf.float64, shape: new TensorShape(shape));

    private static double[] Range(int from, int count, int sign = 1) => Enumerable.Range(from, count).Select(v => (double)(sign * v)).ToArray();

    [Test]
    public void MaxPoolValidByHand()
    {
        var x = Image(Range(1, 16), 1, 4, 4, 1);
        AssertValue(Eval(tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")), new[] { 6.0, 8, 14, 16 }, [1, 2, 2, 1]);
        AssertValue(Eval(tf.nn.max_pool(x, [3], [1], "VALID")), new[] { 11.0, 12, 15, 16 }, [1, 2, 2, 1]);
    }

    [Test]
    public void SamePoolingAtTheBordersCountsOnlyTheImage()
    {
        // 3×3 image, 2×2 windows, stride 2: pad_total = 1, all of it after, so the last row and column are windows of their own.
        var x = Image(Range(1, 9), 1, 3, 3, 1);
        AssertValue(Eval(tf.nn.max_pool(x, [2], [2], "SAME")), new[] { 5.0, 6, 8, 9 }, [1, 2, 2, 1]);
        AssertValue(Eval(tf.nn.avg_pool(x, [2], [2], "SAME")), new[] { 3.0, 4.5, 7.5, 9 }, [1, 2, 2, 1]);
        // Negative values: the padding must not act as zeros in a max.
        AssertValue(Eval(tf.nn.max_pool(Image(Range(1, 9, -1), 1, 3, 3, 1), [2], [2], "SAME")), new[] { -1.0, -3, -7, -9 }, [1, 2, 2, 1]);
        // 3×3 windows, stride 1: one row and column of padding on each side; corners average 4 elements, edges 6, the centre 9.
        AssertValue(Eval(tf.nn.avg_pool(x, [3], [1], "SAME")), new[] { 3.0, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7 }, [1, 3, 3, 1]);
        AssertValue(Eval(tf.nn.max_pool(x, [3], [1], "SAME")), new[] { 5.0, 6, 6, 8, 9, 9, 8, 9, 9 }, [1, 3, 3, 1]);
        AssertValue(Eval(tf.nn.avg_pool(x, [2], [1], "VALID")), new[] { 3.0, 4, 6, 7 }, [1, 2, 2, 1]);
    }

    [Test]
    public void NchwPoolsTheLastTwoAxes()
    {
        // Two channels of 3×3 in NCHW: the second channel is the first negated.
        var x = Image([.. Range(1, 9), .. Range(1, 9, -1)], 1, 2, 3, 3);
        AssertValue(Eval(tf.nn.max_pool(x, [2], [2], "SAME", "NCHW")), new[] { 5.0, 6, 8, 9, -1, -3, -7, -9 }, [1, 2, 2, 2]);
        AssertValue(Eval(tf.nn.avg_pool(x, [2], [2], "SAME", "NCHW")), new[] { 3.0, 4.5, 7.5, 9, -3, -4.5, -7.5, -9 }, [1, 2, 2, 2]);
        Assert.That(tf.nn.max_pool(x, [2], [2], "SAME", "NCHW").op.get_attr<int[]>("ksize"), Is.EqualTo(new[] { 1, 1, 2, 2 }));
    }

    /// <summary>A pooling: input shape (NHWC), window, strides and padding.</summary>
    public sealed record Case(string Name, int[] X, int KH, int KW, int SH, int SW, string Padding)
    {
        public bool Same => Padding == "SAME";
        public override string ToString() => Name;
    }

    public static readonly Case[] Cases =
    [
        new("3x3 stride 2 SAME", [2, 7, 5, 3], 3, 3, 2, 2, "SAME"),
        new("3x3 stride 2 VALID", [2, 7, 5, 3], 3, 3, 2, 2, "VALID"),
        new("2x3 stride 1 SAME", [2, 7, 5, 3], 2, 3, 1, 1, "SAME"),
        new("3x2 strides 2,1 VALID", [2, 7, 5, 3], 3, 2, 2, 1, "VALID"),
        new("4x4 stride 3 SAME", [2, 7, 5, 3], 4, 4, 3, 3, "SAME"),
        new("whole image VALID", [2, 7, 5, 3], 7, 5, 1, 1, "VALID"),
        new("1x1 stride 2 SAME", [1, 4, 3, 2], 1, 1, 2, 2, "SAME"),
    ];

    [TestCaseSource(nameof(Cases))]
    public void PoolingMatchesDirectReference(Case c)
    {
        var x = ConvReference.Random(Count(c.X), 21);
        foreach (bool max in new[] { true, false })
        {
            var (expected, shape) = Pool(x, c.X, c.KH, c.KW, c.SH, c.SW, c.Same, max);
            Tensor Build(Tensor input, string format) => max
                ? tf.nn.max_pool(input, [c.KH, c.KW], [c.SH, c.SW], c.Padding, format)
                : tf.nn.avg_pool(input, [c.KH, c.KW], [c.SH, c.SW], c.Padding, format);
            var what = max ? "max" : "avg";
            var y = Build(Image(x, c.X), "NHWC");
            Assert.That(y.shape.Dims, Is.EqualTo(shape), $"{what} static shape");
            Assert.That(Eval(y).ToArray<double>(), Is.EqualTo(expected).Within(1e-14), $"{what} float64 NHWC");
            var y32 = Build(tf.constant(x.Select(v => (float)v).ToArray(), shape: new TensorShape(c.X)), "NHWC");
            Assert.That(Eval(y32).ToArray<double>(), Is.EqualTo(expected).Within(1e-6), $"{what} float32");
            var yc = Build(Image(ToNchw(x, c.X), Nchw(c.X)), "NCHW");
            Assert.That(Eval(yc).ToArray<double>(), Is.EqualTo(ToNchw(expected, shape)).Within(1e-14), $"{what} NCHW");
        }
    }

    // ---------------------------------------------------------------- gradients, exactly

    private static double[] Gradient(Tensor x, Tensor y, double[] dy)
    {
        var g = tf.gradients(y, x, grad_ys: tf.constant(dy, tf.float64, shape: y.shape))[0]!;
        return Eval(g).ToArray<double>();
    }

    [Test]
    public void MaxPoolGradientGoesToTheFirstMaximumOnTies()
    {
        // All equal: the first element of the window (row-major) takes it all.
        var flat = Image([1, 1, 1, 1], 1, 2, 2, 1);
        Assert.That(Gradient(flat, tf.nn.max_pool(flat, [2], [2], "VALID"), [1]), Is.EqualTo(new[] { 1.0, 0, 0, 0 }));
        // [[1, 2], [2, 1]]: the 2 in the first row comes first in row-major order (column-major would pick the other).
        var diagonal = Image([1, 2, 2, 1], 1, 2, 2, 1);
        Assert.That(Gradient(diagonal, tf.nn.max_pool(diagonal, [2], [2], "VALID"), [1]), Is.EqualTo(new[] { 0.0, 1, 0, 0 }));
        // Overlapping windows over [3, 5, 5, 2]: windows (3,5), (5,5), (5,2) pick elements 1, 1 and 2; their gradients add up.
        var row = Image([3, 5, 5, 2], 1, 1, 4, 1);
        var pooled = tf.nn.max_pool(row, [1, 2], [1], "VALID");
        Assert.That(Eval(pooled).ToArray<double>(), Is.EqualTo(new[] { 5.0, 5, 5 }));
        Assert.That(Gradient(row, pooled, [1, 10, 100]), Is.EqualTo(new[] { 0.0, 11, 100, 0 }));
        // Two channels with ties in one only, in NCHW.
        var nchw = Image([7, 7, 7, 7, 1, 4, 3, 2], 1, 2, 2, 2);
        Assert.That(Gradient(nchw, tf.nn.max_pool(nchw, [2], [2], "VALID", "NCHW"), [1, 2]), Is.EqualTo(new[] { 1.0, 0, 0, 0, 0, 2, 0, 0 }));
    }

    [Test]
    public void PoolGradientsOfSameWindowsByHand()
    {
        var x = Image(Range(1, 9), 1, 3, 3, 1);
        // Max, 2×2 stride 2 SAME: windows' maxima are 5, 6, 8, 9.
        Assert.That(Gradient(x, tf.nn.max_pool(x, [2], [2], "SAME"), [1, 2, 3, 4]), Is.EqualTo(new[] { 0.0, 0, 0, 0, 1, 2, 0, 3, 4 }));
        // Average: each window shares its gradient among the elements it covers (4, 2, 2 and 1 of them).
        Assert.That(Gradient(x, tf.nn.avg_pool(x, [2], [2], "SAME"), [4, 2, 2, 1]), Is.EqualTo(new[] { 1.0, 1, 1, 1, 1, 1, 1, 1, 1 }));
        Assert.That(tf.gradients(tf.nn.avg_pool(x, [2], [2], "SAME"), x)[0]!.op.type, Is.EqualTo("AvgPoolGrad"));
        Assert.That(tf.gradients(tf.nn.max_pool(x, [2], [2], "SAME"), x)[0]!.op.type, Is.EqualTo("MaxPoolGrad"));
    }

    /// <summary>The second derivative: MaxPoolGrad's gradient with respect to its grad, by hand (MaxPoolGradGrad).</summary>
    private static (Tensor Routed, Tensor Dy) RoutedGradient(Tensor x, Tensor y)
    {
        var dy = tf.placeholder(tf.float64, y.shape, name: "dy");
        return (tf.gradients(y, x, grad_ys: dy)[0]!, dy);
    }

    [Test]
    public void MaxPoolGradGradReadsItsGradAtEachWindowsFirstMaximum()
    {
        // d(MaxPoolGrad)/d(grad) applied to v: v at each window's first maximum, shaped as the pooled output.
        var x = Image(Range(1, 16), 1, 4, 4, 1);
        var (routed, dy) = RoutedGradient(x, tf.nn.max_pool(x, [2], [2], "VALID"));
        var v = Image(Range(100, 16), 1, 4, 4, 1);
        var second = tf.gradients(routed, dy, grad_ys: v)[0]!;
        Assert.That(second.op.type, Is.EqualTo("MaxPoolGradGrad"));
        Assert.That(second.shape.Dims, Is.EqualTo(new[] { 1, 2, 2, 1 }));
        AssertValue(Eval(second), new[] { 105.0, 107, 113, 115 }, [1, 2, 2, 1]); // the maxima 6, 8, 14, 16 are elements 5, 7, 13, 15
        // Overlapping windows over [3, 5, 5, 2] pick elements 1, 1 and 2; on the tie [1, 2, 2, 1] the first 2.
        var row = Image([3, 5, 5, 2], 1, 1, 4, 1);
        var (routedRow, dyRow) = RoutedGradient(row, tf.nn.max_pool(row, [1, 2], [1], "VALID"));
        var secondRow = tf.gradients(routedRow, dyRow, grad_ys: Image([10, 20, 30, 40], 1, 1, 4, 1))[0]!;
        AssertValue(Eval(secondRow), new[] { 20.0, 20, 30 }, [1, 1, 3, 1]);
        var tie = Image([1, 2, 2, 1], 1, 2, 2, 1);
        var (routedTie, dyTie) = RoutedGradient(tie, tf.nn.max_pool(tie, [2], [2], "VALID"));
        AssertValue(Eval(tf.gradients(routedTie, dyTie, grad_ys: Image([7, 8, 9, 10], 1, 2, 2, 1))[0]!), new[] { 8.0 }, [1, 1, 1, 1]);
        // The third derivative is MaxPoolGrad again: u routed back to the maxima, overlapping windows adding up.
        var u = Image([1, 10, 100], 1, 1, 3, 1);
        var v4 = tf.placeholder(tf.float64, (1, 1, 4, 1), name: "v");
        var secondOfV = tf.gradients(routedRow, dyRow, grad_ys: v4)[0]!;
        var third = tf.gradients(secondOfV, v4, grad_ys: u)[0]!;
        Assert.That(third.op.type, Is.EqualTo("MaxPoolGrad"));
        AssertValue(Eval(third), new[] { 0.0, 11, 100, 0 }, [1, 1, 4, 1]);
        // With respect to the image itself the routing is piecewise constant: zeros, as TensorFlow gives (not None).
        var hessian = tf.gradients(tf.gradients(tf.reduce_sum(tf.nn.max_pool(x, [2], [2], "VALID")), x)[0]!, x)[0];
        Assert.That(hessian, Is.Not.Null);
        AssertValue(Eval(hessian!), new double[16], [1, 4, 4, 1]);
    }

    [Test]
    public void MaxPoolGradGradInSameNchwAndFloat32()
    {
        // 3×3 SAME, 2×2 stride 2: windows' maxima are elements 4, 5, 7, 8 (values 5, 6, 8, 9) in each channel.
        var x = tf.constant(Range(1, 18).Select(v => (float)v).ToArray(), shape: new TensorShape(1, 2, 3, 3)); // NCHW, 2 channels
        var y = tf.nn.max_pool(x, [2], [2], "SAME", "NCHW");
        var dy = tf.placeholder(tf.float32, y.shape, name: "dy");
        var routed = tf.gradients(y, x, grad_ys: dy)[0]!;
        var v = tf.constant(Range(0, 18).Select(i => (float)(i * i)).ToArray(), shape: new TensorShape(1, 2, 3, 3));
        AssertValue(Eval(tf.gradients(routed, dy, grad_ys: v)[0]!), new[] { 16f, 25, 49, 64, 169, 196, 256, 289 }, [1, 2, 2, 2]);
    }

    // ---------------------------------------------------------------- errors

    [Test]
    public void PoolingErrorsAtBuildTime()
    {
        var x = tf.placeholder(tf.float32, (1, 6, 6, 2), name: "maps");
        Assert.That(() => tf.nn.max_pool(x, [1, 2, 2, 2], [1, 2, 2, 1], "VALID"), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("ksize"));
        Assert.That(() => tf.nn.avg_pool(x, [2], [2, 1, 1, 1], "VALID"), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("strides"));
        Assert.That(() => tf.nn.max_pool(x, [2], [2], "valid"), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("got \"valid\""));
        Assert.That(() => tf.nn.max_pool(tf.placeholder(tf.float32, (6, 6, 2), name: "flat"), [2], [2], "VALID"),
            Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("flat:0").And.Message.Contains("must be rank 4"));
        Assert.That(() => tf.nn.avg_pool(x, [8], [1], "VALID"), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("negative"));
        Assert.That(() => tf.nn.max_pool(tf.placeholder(tf.int32, (1, 6, 6, 2)), [2], [2], "VALID"), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("int32"));
        var attrs = new Dictionary<string, object> { ["ksize"] = new[] { 1, 2, 2, 1 }, ["strides"] = new[] { 1, 2, 2, 1 }, ["padding"] = "VALID" };
        var pooled = tf.nn.max_pool(x, [2], [2], "VALID");
        Assert.That(() => tf.Op("MaxPoolGradGrad", [x, pooled, tf.placeholder(tf.float32, (1, 3, 3, 2), name: "small")], attrs),
            Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("Input 'grad' (small:0) has shape (1, 3, 3, 2), but orig_input has shape (1, 6, 6, 2)"));
    }

    [Test]
    public void MaxPoolGradGradRefusesAGradOfAnotherShapeAtRunTime()
    {
        var x = tf.placeholder(tf.float32, (1, -1, -1, 1), name: "x");
        var grad = tf.placeholder(tf.float32, (1, -1, -1, 1), name: "grad");
        var attrs = new Dictionary<string, object> { ["ksize"] = new[] { 1, 2, 2, 1 }, ["strides"] = new[] { 1, 2, 2, 1 }, ["padding"] = "VALID" };
        var y = tf.Op("MaxPoolGradGrad", [x, tf.nn.max_pool(x, [2], [2], "VALID"), grad], attrs, name: "ggrad");
        using var sess = tf.Session();
        var e = Assert.Throws<InvalidArgumentException>(() => sess.run(y, (x, new float[1, 4, 4, 1]), (grad, new float[1, 2, 2, 1])));
        Assert.That(e!.Message, Does.Contain("grad must have orig_input's shape (1, 4, 4, 1), got (1, 2, 2, 1)").And.Contain("ggrad"));
    }
}
