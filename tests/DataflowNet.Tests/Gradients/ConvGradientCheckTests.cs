using DataflowNet;
using NUnit.Framework;
using static DataflowNet.Tests.ConvReference;

namespace DataflowNet.Tests.Gradients;

/// <summary>
/// Convolution and pooling gradients against central finite differences in float64 (tf.test.compute_gradient_error),
/// feeding the input or the filter as the placeholder, in every configuration of <see cref="ConvTests.Cases"/> and
/// both data formats. Each op is linear (max pooling piecewise linear, checked away from ties), so the differences
/// are exact up to rounding.
/// </summary>
public class ConvGradientCheckTests(string device) : DeviceTest(device)
{
    private const double Delta = 1e-5;
    private const double Tolerance = 1e-6;

    private static void Check(string what, int[] shape, Func<Tensor, Tensor> f, double[] init)
    {
        tf.reset_default_graph();
        var x = tf.placeholder(tf.float64, new TensorShape(shape), name: "x");
        var y = f(x);
        Assert.That(y.shape.IsFullyDefined, Is.True, $"{what}: y has a static shape ({y.shape})");
        var g = tf.gradients(y, x)[0];
        Assert.That(g, Is.Not.Null, $"{what}: gradient exists");
        Assert.That(g!.shape.IsCompatibleWith(new TensorShape(shape)), Is.True, $"{what}: gradient shape {g.shape}");
        var err = tf.test.compute_gradient_error(x, new TensorShape(shape), y, y.shape, init, Delta);
        Assert.That(err, Is.LessThan(Tolerance), what);
    }

    private static Tensor Const(double[] v, int[] shape) => tf.constant(v, tf.float64, shape: new TensorShape(shape));

    [TestCaseSource(typeof(ConvTests), nameof(ConvTests.Cases))]
    public void Conv2DWithRespectToInputAndFilter(ConvTests.Case c)
    {
        var x = ConvReference.Random(Count(c.X), 31);
        var f = ConvReference.Random(Count(c.F), 32);
        foreach (var format in new[] { "NHWC", "NCHW" })
        {
            bool nchw = format == "NCHW";
            var xShape = nchw ? Nchw(c.X) : c.X;
            var xValues = nchw ? ToNchw(x, c.X) : x;
            Tensor Conv(Tensor input, Tensor filter) => tf.nn.conv2d(input, filter, [c.SH, c.SW], c.Padding, format, [c.DH, c.DW]);
            Check($"{c} {format} d/dinput", xShape, t => Conv(t, Const(f, c.F)), xValues);
            Check($"{c} {format} d/dfilter", c.F, t => Conv(Const(xValues, xShape), t), f);
        }
    }

    /// <summary>The backprops' own gradients (second derivatives): each is linear in its filter or input and in its out_backprop.</summary>
    [Test]
    public void BackpropsWithRespectToEachInput()
    {
        var c = ConvTests.Cases[6]; // 2x4 strides 2,1 SAME
        var x = ConvReference.Random(Count(c.X), 33);
        var f = ConvReference.Random(Count(c.F), 34);
        var (_, yShape) = ConvReference.Conv(x, c.X, f, c.F, c.SH, c.SW, c.DH, c.DW, c.Same);
        var dy = ConvReference.Random(Count(yShape), 35);
        int[] strides = [c.SH, c.SW];
        Check("backprop_input d/dfilter", c.F, t => tf.nn.conv2d_backprop_input(c.X, t, Const(dy, yShape), strides, c.Padding), f);
        Check("backprop_input d/dout_backprop", yShape, t => tf.nn.conv2d_backprop_input(c.X, Const(f, c.F), t, strides, c.Padding), dy);
        Check("backprop_filter d/dinput", c.X, t => tf.nn.conv2d_backprop_filter(t, c.F, Const(dy, yShape), strides, c.Padding), x);
        Check("backprop_filter d/dout_backprop", yShape, t => tf.nn.conv2d_backprop_filter(Const(x, c.X), c.F, t, strides, c.Padding), dy);
    }

    [TestCaseSource(typeof(PoolTests), nameof(PoolTests.Cases))]
    public void MaxPoolAwayFromTies(PoolTests.Case c)
    {
        // Distinct values 0.01 apart: a step of 1e-5 never changes which element is a window's maximum.
        var x = Distinct(Count(c.X), 41);
        Check($"{c} NHWC", c.X, t => tf.nn.max_pool(t, [c.KH, c.KW], [c.SH, c.SW], c.Padding), x);
        Check($"{c} NCHW", Nchw(c.X), t => tf.nn.max_pool(t, [c.KH, c.KW], [c.SH, c.SW], c.Padding, "NCHW"), ToNchw(x, c.X));
    }

    /// <summary>
    /// Second derivatives through max pooling: MaxPoolGrad with respect to its grad (MaxPoolGradGrad), and the
    /// gradient of sum(max_pool(x)²)'s gradient with respect to x (a Hessian), away from ties.
    /// </summary>
    [TestCaseSource(typeof(PoolTests), nameof(PoolTests.Cases))]
    public void MaxPoolSecondDerivativesAwayFromTies(PoolTests.Case c)
    {
        var x = Distinct(Count(c.X), 43);
        Tensor Pool(Tensor t) => tf.nn.max_pool(t, [c.KH, c.KW], [c.SH, c.SW], c.Padding);
        var pooledShape = Pool(Const(x, c.X)).shape.Dims;
        var dy = ConvReference.Random(Count(pooledShape), 44);
        Check($"{c} max_pool_grad d/dgrad", pooledShape, t => { var xc = Const(x, c.X); return tf.gradients(Pool(xc), xc, grad_ys: t)[0]!; }, dy);
        Check($"{c} d/dx of d/dx sum(max_pool(x)^2)", c.X, t => tf.gradients(tf.reduce_sum(tf.square(Pool(t))), t)[0]!, x);
    }

    [TestCaseSource(typeof(PoolTests), nameof(PoolTests.Cases))]
    public void AvgPool(PoolTests.Case c)
    {
        var x = ConvReference.Random(Count(c.X), 42);
        Check($"{c} NHWC", c.X, t => tf.nn.avg_pool(t, [c.KH, c.KW], [c.SH, c.SW], c.Padding), x);
        Check($"{c} NCHW", Nchw(c.X), t => tf.nn.avg_pool(t, [c.KH, c.KW], [c.SH, c.SW], c.Padding, "NCHW"), ToNchw(x, c.X));
    }

    [Test]
    public void AvgPoolGradWithRespectToItsGradient()
    {
        int[] xShape = [2, 7, 5, 3];
        var y = tf.nn.avg_pool(tf.zeros(xShape, tf.float64), [3], [2], "SAME");
        var yShape = y.shape.Dims;
        Check("AvgPoolGrad d/dgrad", yShape, t => tf.Op("AvgPoolGrad", [tf.IntVector(xShape, "shape"), t],
            new() { ["ksize"] = new[] { 1, 3, 3, 1 }, ["strides"] = new[] { 1, 2, 2, 1 }, ["padding"] = "SAME" }), ConvReference.Random(Count(yShape), 43));
    }

    /// <summary>A small convolutional network end to end: conv → relu → max pool → conv → avg pool → reduce, w.r.t. the input.</summary>
    [Test]
    public void SmallNetworkEndToEnd()
    {
        int[] xShape = [2, 6, 5, 2];
        var w1 = ConvReference.Random(3 * 3 * 2 * 3, 51);
        var w2 = ConvReference.Random(2 * 2 * 3 * 2, 52);
        // Inputs spread out so no relu input and no pooling window sits within a step of a kink or a tie.
        Check("network", xShape, x =>
        {
            var h = tf.nn.max_pool(tf.nn.relu(tf.nn.conv2d(x, Const(w1, [3, 3, 2, 3]), [1], "SAME")), [2], [1], "VALID");
            var z = tf.nn.avg_pool(tf.nn.conv2d(h, Const(w2, [2, 2, 3, 2]), [2], "SAME"), [2], [2], "SAME");
            return tf.reduce_sum(tf.square(z), [1, 2, 3]);
        }, Distinct(ConvReference.Count(xShape), 53).Select(v => v * 3).ToArray());
    }
}
