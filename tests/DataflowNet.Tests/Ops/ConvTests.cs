using DataflowNet;
using NUnit.Framework;
using static DataflowNet.Tests.ConvReference;

namespace DataflowNet.Tests;

/// <summary>tf.nn.conv2d and its backprops against a direct convolution in double, in both data formats; build-time errors.</summary>
public class ConvTests(string device) : DeviceTest(device)
{
    /// <summary>A convolution: input and filter shapes (NHWC, HWIO), strides, dilations and padding.</summary>
    public sealed record Case(string Name, int[] X, int[] F, int SH, int SW, int DH, int DW, string Padding)
    {
        public bool Same => Padding == "SAME";
        public override string ToString() => Name;
    }

    /// <summary>Odd sizes (7×5 images), several channels, batch 2: every case has windows that overhang the padding unevenly.</summary>
    public static readonly Case[] Cases =
    [
        new("3x3 SAME", [2, 7, 5, 3], [3, 3, 3, 4], 1, 1, 1, 1, "SAME"),
        new("3x3 VALID", [2, 7, 5, 3], [3, 3, 3, 4], 1, 1, 1, 1, "VALID"),
        new("2x4 SAME", [2, 7, 5, 3], [2, 4, 3, 2], 1, 1, 1, 1, "SAME"),
        new("2x4 VALID", [2, 7, 5, 3], [2, 4, 3, 2], 1, 1, 1, 1, "VALID"),
        new("3x3 stride 2 SAME", [2, 7, 5, 3], [3, 3, 3, 4], 2, 2, 1, 1, "SAME"),
        new("3x3 stride 2 VALID", [2, 7, 5, 3], [3, 3, 3, 4], 2, 2, 1, 1, "VALID"),
        new("2x4 strides 2,1 SAME", [2, 7, 5, 3], [2, 4, 3, 2], 2, 1, 1, 1, "SAME"),
        new("2x2 dilation 2 SAME", [2, 7, 5, 3], [2, 2, 3, 2], 1, 1, 2, 2, "SAME"),
        new("3x2 dilation 2 VALID", [2, 7, 5, 3], [3, 2, 3, 2], 1, 1, 2, 2, "VALID"),
        new("2x2 dilation 2 stride 2 SAME", [2, 7, 5, 3], [2, 2, 3, 4], 2, 2, 2, 2, "SAME"),
        new("1x1 VALID", [1, 4, 3, 5], [1, 1, 5, 3], 1, 1, 1, 1, "VALID"),
    ];

    private static Tensor Const(double[] v, int[] shape, DataType dtype) =>
        dtype == tf.float64 ? tf.constant(v, tf.float64, shape: new TensorShape(shape)) : tf.constant(v.Select(d => (float)d).ToArray(), shape: new TensorShape(shape));

    /// <summary>tf.nn.conv2d of NHWC values, in <paramref name="format"/> (NCHW: the input goes in transposed, the result comes back transposed).</summary>
    private static (double[] Y, int[] Shape) Run(Case c, double[] x, double[] f, string format, DataType dtype)
    {
        tf.reset_default_graph();
        bool nchw = format == "NCHW";
        var input = nchw ? Const(ToNchw(x, c.X), Nchw(c.X), dtype) : Const(x, c.X, dtype);
        var y = tf.nn.conv2d(input, Const(f, c.F, dtype), [c.SH, c.SW], c.Padding, format, [c.DH, c.DW]);
        var v = Eval(y);
        Assert.That(v.dtype, Is.EqualTo(dtype));
        Assert.That(y.shape.Dims, Is.EqualTo(v.shape), "static shape = run-time shape");
        var values = v.ToArray<double>();
        if (!nchw) return (values, v.shape);
        var s = v.shape; // [n, o, oh, ow] back to NHWC
        int[] nhwc = [s[0], s[2], s[3], s[1]];
        var back = new double[values.Length];
        for (int b = 0; b < s[0]; b++)
            for (int q = 0; q < s[1]; q++)
                for (int i = 0; i < s[2]; i++)
                    for (int j = 0; j < s[3]; j++) back[((b * s[2] + i) * s[3] + j) * s[1] + q] = values[((b * s[1] + q) * s[2] + i) * s[3] + j];
        return (back, nhwc);
    }

    [TestCaseSource(nameof(Cases))]
    public void ForwardMatchesDirectConvolution(Case c)
    {
        var x = ConvReference.Random(Count(c.X), 1);
        var f = ConvReference.Random(Count(c.F), 2);
        var (expected, shape) = Conv(x, c.X, f, c.F, c.SH, c.SW, c.DH, c.DW, c.Same);
        foreach (var format in new[] { "NHWC", "NCHW" })
        {
            var (y64, s64) = Run(c, x, f, format, tf.float64);
            Assert.That(s64, Is.EqualTo(shape), $"{format} shape");
            Assert.That(y64, Is.EqualTo(expected).Within(1e-13), $"{format} float64");
            var (y32, _) = Run(c, x, f, format, tf.float32);
            Assert.That(y32, Is.EqualTo(expected).Within(1e-5), $"{format} float32");
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void BackpropsMatchDirectGradients(Case c)
    {
        var x = ConvReference.Random(Count(c.X), 3);
        var f = ConvReference.Random(Count(c.F), 4);
        var (_, yShape) = Conv(x, c.X, f, c.F, c.SH, c.SW, c.DH, c.DW, c.Same);
        var dy = ConvReference.Random(Count(yShape), 5);
        var (dx, df) = ConvGrads(x, c.X, f, c.F, dy, c.SH, c.SW, c.DH, c.DW, c.Same);
        var xt = Const(x, c.X, tf.float64);
        var ft = Const(f, c.F, tf.float64);
        var y = tf.nn.conv2d(xt, ft, [c.SH, c.SW], c.Padding, dilations: [c.DH, c.DW]);
        var grads = tf.gradients(y, new[] { xt, ft }, grad_ys: Const(dy, yShape, tf.float64));
        Assert.That(grads[0]!.op.type, Is.EqualTo("Conv2DBackpropInput"));
        Assert.That(grads[1]!.op.type, Is.EqualTo("Conv2DBackpropFilter"));
        Assert.That(grads[0]!.shape.Dims, Is.EqualTo(c.X));
        Assert.That(grads[1]!.shape.Dims, Is.EqualTo(c.F));
        Assert.That(Eval(grads[0]!).ToArray<double>(), Is.EqualTo(dx).Within(1e-13), "dx");
        Assert.That(Eval(grads[1]!).ToArray<double>(), Is.EqualTo(df).Within(1e-13), "dfilter");
    }

    [Test]
    public void BackpropsInNchwMatchNhwc()
    {
        var c = Cases[6];
        var x = ConvReference.Random(Count(c.X), 6);
        var f = ConvReference.Random(Count(c.F), 7);
        var (_, yShape) = Conv(x, c.X, f, c.F, c.SH, c.SW, c.DH, c.DW, c.Same);
        var dy = ConvReference.Random(Count(yShape), 8);
        var (dx, df) = ConvGrads(x, c.X, f, c.F, dy, c.SH, c.SW, c.DH, c.DW, c.Same);
        var xt = Const(ToNchw(x, c.X), Nchw(c.X), tf.float64);
        var ft = Const(f, c.F, tf.float64);
        var y = tf.nn.conv2d(xt, ft, [c.SH, c.SW], c.Padding, "NCHW", [c.DH, c.DW]);
        var grads = tf.gradients(y, new[] { xt, ft }, grad_ys: Const(ToNchw(dy, yShape), Nchw(yShape), tf.float64));
        Assert.That(Eval(grads[0]!).ToArray<double>(), Is.EqualTo(ToNchw(dx, c.X)).Within(1e-13), "dx");
        Assert.That(Eval(grads[1]!).ToArray<double>(), Is.EqualTo(df).Within(1e-13), "dfilter");
    }

    /// <summary>
    /// Images of 32×32×16 under a 5×5 filter: the batch is split between the cores and each core's share goes through
    /// in several im2col chunks (an odd batch splits unevenly); the parts and chunks must join up, and the filter
    /// gradient must add every part's share.
    /// </summary>
    [TestCase("NHWC", 12)]
    [TestCase("NCHW", 12)]
    [TestCase("NHWC", 3)]
    public void LargeBatchGoesThroughInChunks(string format, int batch)
    {
        var c = new Case("chunked", [batch, 32, 32, 16], [5, 5, 16, 8], 1, 1, 1, 1, "SAME");
        var x = ConvReference.Random(Count(c.X), 9);
        var f = ConvReference.Random(Count(c.F), 10);
        var (expected, shape) = Conv(x, c.X, f, c.F, 1, 1, 1, 1, true);
        var dy = ConvReference.Random(Count(shape), 11);
        var (dx, df) = ConvGrads(x, c.X, f, c.F, dy, 1, 1, 1, 1, true);
        bool nchw = format == "NCHW";
        var xt = nchw ? Const(ToNchw(x, c.X), Nchw(c.X), tf.float64) : Const(x, c.X, tf.float64);
        var ft = Const(f, c.F, tf.float64);
        var y = tf.nn.conv2d(xt, ft, [1, 1, 1, 1], "SAME", format);
        var grads = tf.gradients(y, new[] { xt, ft }, grad_ys: nchw ? Const(ToNchw(dy, shape), Nchw(shape), tf.float64) : Const(dy, shape, tf.float64));
        using var sess = tf.Session();
        var (yv, dxv, dfv) = sess.run((y, grads[0]!, grads[1]!));
        Assert.That(yv!.ToArray<double>(), Is.EqualTo(nchw ? ToNchw(expected, shape) : expected).Within(1e-12), "y");
        Assert.That(dxv!.ToArray<double>(), Is.EqualTo(nchw ? ToNchw(dx, c.X) : dx).Within(1e-12), "dx");
        Assert.That(dfv!.ToArray<double>(), Is.EqualTo(df).Within(1e-10), "dfilter");
    }

    [Test]
    public void SamePaddingPutsTheExtraRowAndColumnAtTheBottomRight()
    {
        // 4×4 image 1..16 under a 2×2 filter of ones: pad_total = 1 on each axis, all of it after.
        var x = tf.constant(Enumerable.Range(1, 16).Select(v => (double)v).ToArray(), tf.float64, shape: new TensorShape(1, 4, 4, 1));
        var ones = tf.ones((2, 2, 1, 1), tf.float64);
        AssertValue(Eval(tf.nn.conv2d(x, ones, [1, 1, 1, 1], "SAME")),
            new[] { 14.0, 18, 22, 12, 30, 34, 38, 20, 46, 50, 54, 28, 27, 29, 31, 16 }, [1, 4, 4, 1]);
        // A 1×4 filter over 5 columns: pad_total = 3, one column before and two after.
        var row = tf.constant(new[] { 1.0, 2, 3, 4, 5 }, tf.float64, shape: new TensorShape(1, 1, 5, 1));
        AssertValue(Eval(tf.nn.conv2d(row, tf.ones((1, 4, 1, 1), tf.float64), [1, 1, 1, 1], "SAME")), new[] { 6.0, 10, 14, 12, 9 }, [1, 1, 5, 1]);
        AssertValue(Eval(tf.nn.conv2d(row, tf.ones((1, 4, 1, 1), tf.float64), [1, 1, 1, 1], "VALID")), new[] { 10.0, 14 }, [1, 1, 2, 1]);
        // Stride 2 over 5 columns with a 3-wide filter: ceil(5/2) = 3 outputs, pad_total = 2, one each side.
        AssertValue(Eval(tf.nn.conv2d(row, tf.ones((1, 3, 1, 1), tf.float64), [1, 1, 2, 1], "SAME")), new[] { 3.0, 9, 9 }, [1, 1, 3, 1]);
    }

    [Test]
    public void StridesAndDilationsAcceptOneTwoOrFourEntries()
    {
        var x = tf.placeholder(tf.float32, (2, 9, 8, 3));
        var f = tf.zeros((3, 3, 3, 5));
        Assert.That(tf.nn.conv2d(x, f, [2], "SAME").shape.Dims, Is.EqualTo(new[] { 2, 5, 4, 5 }));
        Assert.That(tf.nn.conv2d(x, f, [1, 2], "VALID").shape.Dims, Is.EqualTo(new[] { 2, 7, 3, 5 }));
        Assert.That(tf.nn.conv2d(x, f, [1, 1], "VALID", dilations: [2]).shape.Dims, Is.EqualTo(new[] { 2, 5, 4, 5 }));
        var op = tf.nn.conv2d(x, f, [2], "SAME").op;
        Assert.That(op.get_attr<int[]>("strides"), Is.EqualTo(new[] { 1, 2, 2, 1 }));
        Assert.That(op.get_attr<int[]>("dilations"), Is.EqualTo(new[] { 1, 1, 1, 1 }));
        var nchw = tf.nn.conv2d(tf.placeholder(tf.float32, (2, 3, 9, 8)), f, [2], "SAME", "NCHW");
        Assert.That(nchw.shape.Dims, Is.EqualTo(new[] { 2, 5, 5, 4 }));
        Assert.That(nchw.op.get_attr<int[]>("strides"), Is.EqualTo(new[] { 1, 1, 2, 2 }));
    }

    [Test]
    public void UnknownBatchAndSpatialDimsStayUnknown()
    {
        var y = tf.nn.conv2d(tf.placeholder(tf.float32, (-1, -1, 6, 3)), tf.zeros((3, 3, 3, 4)), [1, 2, 2, 1], "SAME");
        Assert.That(y.shape.Dims, Is.EqualTo(new[] { -1, -1, 3, 4 }));
        var g = tf.gradients(tf.reduce_sum(y), tf.get_default_graph().get_operations().First(o => o.type == "Placeholder").outputs[0])[0]!;
        Assert.That(g.shape.Rank, Is.EqualTo(4));
    }

    // ---------------------------------------------------------------- errors

    [Test]
    public void ChannelMismatchFailsAtBuildTimeNamingBothTensors()
    {
        var images = tf.placeholder(tf.float32, (-1, 8, 8, 3), name: "images");
        var weights = tf.Variable(tf.zeros((5, 5, 4, 16)), name: "weights");
        Assert.That(() => tf.nn.conv2d(images, weights, [1, 1, 1, 1], "SAME"),
            Throws.InstanceOf<InvalidArgumentException>()
                .With.Message.Contains("same depth: 3 vs 4")
                .And.Message.Contains("images:0")
                .And.Message.Contains("weights/read:0")
                .And.Message.Contains("ConvTests.cs"));
    }

    [Test]
    public void BadPaddingAndDataFormatFailAtBuildTime()
    {
        var x = tf.placeholder(tf.float32, (1, 8, 8, 3));
        var f = tf.zeros((3, 3, 3, 2));
        Assert.That(() => tf.nn.conv2d(x, f, [1, 1, 1, 1], "FULL"), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("\"SAME\" or \"VALID\", got \"FULL\""));
        Assert.That(() => tf.nn.conv2d(x, f, [1, 1, 1, 1], "same"), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("got \"same\""));
        Assert.That(() => tf.nn.conv2d(x, f, [1, 1, 1, 1], "SAME", "HWCN"), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("data_format"));
    }

    [Test]
    public void RankOtherThanFourFailsAtBuildTime()
    {
        var x3 = tf.placeholder(tf.float32, (8, 8, 3), name: "image");
        Assert.That(() => tf.nn.conv2d(x3, tf.zeros((3, 3, 3, 2)), [1, 1, 1, 1], "SAME"),
            Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("image:0").And.Message.Contains("must be rank 4"));
        var x = tf.placeholder(tf.float32, (1, 8, 8, 3));
        Assert.That(() => tf.nn.conv2d(x, tf.zeros((3, 3, 3), name: "flat_filter"), [1, 1, 1, 1], "SAME"),
            Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("flat_filter").And.Message.Contains("must be rank 4"));
    }

    [Test]
    public void BadStridesDilationsAndSizesFailAtBuildTime()
    {
        var x = tf.placeholder(tf.float32, (1, 8, 8, 3));
        var f = tf.zeros((3, 3, 3, 2));
        Assert.That(() => tf.nn.conv2d(x, f, [2, 1, 1, 1], "SAME"), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("strides"));
        Assert.That(() => tf.nn.conv2d(x, f, [1, 1, 1], "SAME"), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("4 entries"));
        Assert.That(() => tf.nn.conv2d(x, f, [1, 0, 1, 1], "SAME"), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("strides"));
        Assert.That(() => tf.nn.conv2d(x, f, [1], "SAME", dilations: [1, 1, 1, 2]), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("dilations"));
        Assert.That(() => tf.nn.conv2d(tf.placeholder(tf.float32, (1, 2, 2, 3)), tf.zeros((5, 5, 3, 2)), [1], "VALID"),
            Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("negative"));
        Assert.That(() => tf.nn.conv2d(tf.placeholder(tf.int32, (1, 8, 8, 3)), tf.zeros((3, 3, 3, 2), tf.int32), [1], "SAME"),
            Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("int32"));
        Assert.That(() => tf.nn.conv2d(x, tf.zeros((3, 3, 3, 2), tf.float64), [1], "SAME"), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("float64"));
    }

    [Test]
    public void BackpropShapesAreCheckedAtBuildTime()
    {
        var f = tf.zeros((3, 3, 3, 2));
        Assert.That(() => tf.nn.conv2d_backprop_input([1, 8, 8, 3], f, tf.zeros((1, 7, 8, 2)), [1], "SAME"),
            Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("(1, 8, 8, 2)"));
        Assert.That(() => tf.nn.conv2d_backprop_filter(tf.zeros((1, 8, 8, 3)), [3, 3, 3], tf.zeros((1, 8, 8, 2)), [1], "SAME"),
            Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("4-D shape"));
        Assert.That(tf.nn.conv2d_backprop_input([1, 8, 8, 3], f, tf.zeros((1, 4, 4, 2)), [2], "SAME").shape.Dims, Is.EqualTo(new[] { 1, 8, 8, 3 }));
    }

    [Test]
    public void ChannelMismatchOfUnknownShapesFailsAtRunTime()
    {
        var x = tf.placeholder(tf.float32, name: "x");
        var f = tf.placeholder(tf.float32, name: "f");
        var y = tf.nn.conv2d(x, f, [1, 1, 1, 1], "SAME");
        Assert.That(y.shape.Rank, Is.EqualTo(4));
        using var sess = tf.Session();
        Assert.That(() => sess.run(y, (x, new float[1, 4, 4, 3]), (f, new float[3, 3, 2, 1])),
            Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("same depth: 3 vs 2"));
        Assert.That(() => sess.run(y, (x, new float[4, 4, 3]), (f, new float[3, 3, 3, 1])),
            Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("4-D"));
        Assert.That(sess.run(y, (x, new float[2, 4, 4, 3]), (f, new float[3, 3, 3, 1])).shape, Is.EqualTo(new[] { 2, 4, 4, 1 }));
    }

    // ---------------------------------------------------------------- a warm step allocates nothing of its own

    private static long AllocatedPerRun(Action step)
    {
        for (int i = 0; i < 5; i++) step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) step();
        return (GC.GetAllocatedBytesForCurrentThread() - before) / 20;
    }

    /// <summary>
    /// The convolution and pooling kernels keep their scratch from run to run, and the blocked GEMM reuses its packing
    /// buffers and worker threads: a warm conv/pool training step allocates nothing on the managed heap.
    /// </summary>
    [Test]
    public void WarmConvolutionTrainingStepAllocatesNothingBeyondItsMatrixProducts()
    {
        // The zero-allocation promise is the CPU executor's; the GPU device's copies and views are objects.
        if (Device == "GPU") Assert.Ignore("allocation counts are measured on the CPU device");
        var x = tf.placeholder(tf.float32, (2, 6, 6, 2));
        var w = tf.Variable(tf.random_uniform((3, 3, 2, 4), -0.5f, 0.5f, seed: 1));
        var h = tf.nn.max_pool(tf.nn.relu(tf.nn.conv2d(x, w, [1, 1, 1, 1], "SAME")), [2], [2], "SAME");
        var xc = tf.placeholder(tf.float32, (2, 2, 6, 6));
        var a = tf.nn.avg_pool(tf.nn.conv2d(xc, w, [2], "VALID", "NCHW"), [2], [1], "VALID", "NCHW");
        var loss = tf.reduce_mean(tf.square(h)) + tf.reduce_mean(a);
        var train = tf.train.GradientDescentOptimizer(0.01f).minimize(loss);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        var feed = new FeedDict { [x] = TensorValue.Create(Reference.RandomFloats(144, 3), 2, 6, 6, 2), [xc] = TensorValue.Create(Reference.RandomFloats(144, 4), 2, 2, 6, 6) };
        long step = AllocatedPerRun(() => sess.run(train, feed));

        Assert.That(step, Is.EqualTo(0), "a warm conv/pool training step allocates nothing");
    }

    [Test]
    public void AColumnMatrixTooLargeForOneArrayIsAResourceError()
    {
        // 2048 × 2048 output positions × an 1100 × 1100 window: 5e12 values, where an int index wraps.
        var x = tf.placeholder(tf.float32, shape: (1, 2048, 2048, 1));
        var f = tf.placeholder(tf.float32, shape: (1100, 1100, 1, 1));
        var y = tf.nn.conv2d(x, f, strides: [1, 1, 1, 1], padding: "SAME");
        using var sess = tf.Session(config: new ConfigProto { Devices = [CpuDevice.Instance] });
        var error = Assert.Throws<ResourceExhaustedException>(() => sess.run(y, (x, new float[1, 2048, 2048, 1]), (f, new float[1100, 1100, 1, 1])));
        Assert.That(error!.Message, Does.Contain($"im2col matrix would hold {2048L * 2048 * 1100 * 1100} values").And.Contain("Conv2D"));
    }
}
