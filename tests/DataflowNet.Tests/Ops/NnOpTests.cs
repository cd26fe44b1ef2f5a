using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>tf.nn activations, softmax/log_softmax and bias_add.</summary>
public class NnOpTests(string device) : DeviceTest(device)
{
    [Test]
    public void L2NormalizeMakesUnitVectorsAndLeavesZeroVectorsZero()
    {
        // Rows [3, 4] and [0, 0]: 3-4-5 by hand; the zero row divides by sqrt(epsilon) and stays zero, not NaN.
        var x = tf.constant(new[,] { { 3f, 4f }, { 0f, 0f } });
        AssertValue(Eval(tf.nn.l2_normalize(x, axis: 1)), new[] { 0.6f, 0.8f, 0f, 0f }, [2, 2], 1e-7);
        // Along axis 0 the columns [3, 0] and [4, 0] are normalized; with all axes, the whole tensor (norm 5).
        AssertValue(Eval(tf.nn.l2_normalize(x, axis: 0)), new[] { 1f, 1f, 0f, 0f }, [2, 2], 1e-7);
        AssertValue(Eval(tf.nn.l2_normalize(x)), new[] { 0.6f, 0.8f, 0f, 0f }, [2, 2], 1e-7);
        // float64 keeps its dtype; the gradient of a unit vector's first component, d(x0/|x|)/dx = (|x|² − x0², −x0·x1)/|x|³.
        var v = tf.constant(new[] { 3.0, 4.0 }, tf.float64);
        var first = tf.slice(tf.nn.l2_normalize(v, axis: 0), [0], [1]);
        AssertValue(Eval(tf.gradients(first, v)[0]!), new[] { 16.0 / 125, -12.0 / 125 }, [2], 1e-15);
    }

    // ---------- activations ----------
    [Test]
    public void ReluForFloatAndIntegerDtypes()
    {
        AssertValue(Eval(tf.nn.relu(tf.constant(new[] { -2f, -0f, 0.5f, 3f, -1e-30f }))), new[] { 0f, 0f, 0.5f, 3f, 0f }, [5]);
        AssertValue(Eval(tf.nn.relu(tf.constant(new[] { -3, 0, 4 }))), new[] { 0, 0, 4 }, [3]);
        AssertValue(Eval(tf.nn.relu(tf.constant(new[] { -1e300, 1e300 }, dtype: tf.float64))), new[] { 0.0, 1e300 }, [2]);
        AssertValue(Eval(tf.nn.relu(tf.constant(new[] { -5_000_000_000L, 5_000_000_000L }))), new[] { 0L, 5_000_000_000L }, [2]);
    }

    [Test]
    public void Relu6ClipsToZeroAndSix()
    {
        AssertValue(Eval(tf.nn.relu6(tf.constant(new[] { -1f, 3f, 6f, 7.5f, 5.999f }))), new[] { 0f, 3f, 6f, 6f, 5.999f }, [5]);
        AssertValue(Eval(tf.nn.relu6(tf.constant(new[] { -2, 5, 9 }))), new[] { 0, 5, 6 }, [3]);
        AssertValue(Eval(tf.nn.relu6(tf.constant(new[] { 100.0, -0.5 }, dtype: tf.float64))), new[] { 6.0, 0.0 }, [2]);
    }

    [Test]
    public void LeakyReluDefaultAlphaIsPointTwo()
    {
        var r = Eval(tf.nn.leaky_relu(tf.constant(new[] { -10f, -1f, 0f, 2f })));
        MathAssert.Close(r, tf.float32, [4], [-2, -0.2, 0, 2], 1e-6);
        // float64 computes in double, with alpha the float attribute 0.2f as in TensorFlow.
        var d = Eval(tf.nn.leaky_relu(tf.constant(new[] { -10.0, 3.0 }, dtype: tf.float64)));
        MathAssert.Close(d, tf.float64, [2], [-2, 3], 1e-7);
    }

    [Test]
    public void LeakyReluCustomAlpha()
    {
        MathAssert.Close(Eval(tf.nn.leaky_relu(tf.constant(new[] { -100f, 5f, -0.5f }), alpha: 0.01f)), tf.float32, [3], [-1, 5, -0.005], 1e-6);
        MathAssert.Close(Eval(tf.nn.leaky_relu(tf.constant(new[] { -4f, 4f }), alpha: 0.5f)), tf.float32, [2], [-2, 4], 0);
    }

    [Test]
    public void EluIsExpMinusOneBelowZero()
    {
        float[] x = [-1f, 0f, 2f, -20f, -0.5f];
        var expected = x.Select(v => v < 0 ? Math.Exp(v) - 1 : v).ToArray();
        MathAssert.Close(Eval(tf.nn.elu(tf.constant(x))), tf.float32, [5], expected, 1e-6, 1e-7);
        MathAssert.Close(Eval(tf.nn.elu(tf.constant(Reference.ToDouble(x), dtype: tf.float64))), tf.float64, [5], expected, 1e-14);
    }

    [Test]
    public void EluNearZeroKeepsRelativePrecision()
    {
        // elu(x) = e^x - 1 = x + x²/2 + x³/6 + … for small negative x; exp(x) - 1 computed directly loses most digits.
        float[] xf = [-1e-5f, -3e-8f];
        MathAssert.Close(Eval(tf.nn.elu(tf.constant(xf))), tf.float32, [2], xf.Select(v => (double)v + (double)v * v / 2).ToArray(), 1e-6);
        double[] xd = [-1e-10, -2e-6];
        MathAssert.Close(Eval(tf.nn.elu(tf.constant(xd, dtype: tf.float64))), tf.float64, [2], xd.Select(v => v + v * v / 2 + v * v * v / 6).ToArray(), 1e-14);
    }

    [Test]
    public void SoftplusIsLogOnePlusExp()
    {
        float[] x = [0f, 1f, -1f, 5f, -5f, 10f];
        var expected = x.Select(v => Math.Log(1 + Math.Exp(v))).ToArray();
        MathAssert.Close(Eval(tf.nn.softplus(tf.constant(x))), tf.float32, [6], expected, 1e-6);
        // 1e-13: the reference's own log(1 + e^-5) is only good to about 2e-14 relative.
        MathAssert.Close(Eval(tf.nn.softplus(tf.constant(Reference.ToDouble(x), dtype: tf.float64))), tf.float64, [6], expected, 1e-13);
        // By hand: softplus(0) = ln 2
        MathAssert.Close(Eval(tf.nn.softplus(tf.constant(0.0, dtype: tf.float64))), tf.float64, [], [Math.Log(2)], 1e-15);
    }

    [Test]
    public void SoftplusAtHundredsHasNoInfOrNaN()
    {
        var r = Eval(tf.nn.softplus(tf.constant(new[] { 100f, -100f, 1000f, -1000f })));
        MathAssert.AllFinite(r);
        // softplus(x) = x + log(1 + e^-x) → x for large x; → e^x → 0 for very negative x.
        MathAssert.Close(r, tf.float32, [4], [100, 0, 1000, 0], 1e-7, 1e-30);
        var d = Eval(tf.nn.softplus(tf.constant(new[] { 100.0, -100.0 }, dtype: tf.float64)));
        MathAssert.AllFinite(d);
        MathAssert.Close(d, tf.float64, [2], [100, Math.Exp(-100)], 1e-14);
    }

    [Test]
    public void SoftplusOfVeryNegativeInputIsExpOfInput()
    {
        // For x ≪ 0, log(1 + e^x) = e^x·(1 - e^x/2 + …): the result keeps full relative precision, as TensorFlow's does.
        var f = Eval(tf.nn.softplus(tf.constant(new[] { -20f, -30f })));
        MathAssert.Close(f, tf.float32, [2], [Math.Exp(-20), Math.Exp(-30)], 1e-5);
        var d = Eval(tf.nn.softplus(tf.constant(new[] { -40.0, -25.0 }, dtype: tf.float64)));
        MathAssert.Close(d, tf.float64, [2], [Math.Exp(-40), Math.Exp(-25) - Math.Exp(-50) / 2], 1e-13);
    }

    [Test]
    public void NnSigmoidAndTanh()
    {
        float[] x = [-3f, -0.5f, 0f, 0.5f, 3f, 50f, -50f];
        MathAssert.Close(Eval(tf.nn.sigmoid(tf.constant(x))), tf.float32, [7], x.Select(v => 1 / (1 + Math.Exp(-(double)v))).ToArray(), 1e-6, 1e-7);
        MathAssert.Close(Eval(tf.nn.tanh(tf.constant(x))), tf.float32, [7], x.Select(v => Math.Tanh(v)).ToArray(), 1e-6, 1e-7);
        // By hand: sigmoid(0) = 1/2, tanh(0) = 0
        AssertValue(Eval(tf.nn.sigmoid(tf.constant(new[] { 0.0 }, dtype: tf.float64))), new[] { 0.5 }, [1]);
        AssertValue(Eval(tf.nn.tanh(tf.constant(new[] { 0.0 }, dtype: tf.float64))), new[] { 0.0 }, [1]);
    }

    [Test]
    public void ActivationsRejectWrongDtypesWhenBuilding()
    {
        Assert.That(() => tf.nn.elu(tf.constant(new[] { 1 })), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("float32, float64"));
        Assert.That(() => tf.nn.softplus(tf.constant(new[] { 1 })), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("int32"));
        Assert.That(() => tf.nn.relu(tf.constant(new[] { true })), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("bool"));
    }

    // ---------- softmax ----------
    /// <summary>Softmax of each row of a rows×cols matrix, in double with the max subtracted.</summary>
    private static double[] SoftmaxRows(double[] x, int rows, int cols, bool log)
    {
        var r = new double[x.Length];
        for (int i = 0; i < rows; i++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int j = 0; j < cols; j++) max = Math.Max(max, x[i * cols + j]);
            for (int j = 0; j < cols; j++) sum += Math.Exp(x[i * cols + j] - max);
            for (int j = 0; j < cols; j++)
                r[i * cols + j] = log ? x[i * cols + j] - max - Math.Log(sum) : Math.Exp(x[i * cols + j] - max) / sum;
        }
        return r;
    }

    [Test]
    public void SoftmaxOfRows()
    {
        float[] x = [1f, 2f, 3f, 1f, 1f, 1f, -1f, 0f, 0.5f];
        var r = Eval(tf.nn.softmax(tf.constant(x, shape: new[] { 3, 3 })));
        MathAssert.Close(r, tf.float32, [3, 3], SoftmaxRows(Reference.ToDouble(x), 3, 3, log: false), 1e-6, 1e-7);
        var v = r.ToArray<float>();
        for (int i = 0; i < 3; i++) Assert.That(v[(i * 3)..(i * 3 + 3)].Sum(), Is.EqualTo(1f).Within(1e-6), $"row {i} sums to 1");
        // By hand: equal logits share equally.
        MathAssert.Close(r, tf.float32, [3, 3], [.. SoftmaxRows([1, 2, 3], 1, 3, false), 1 / 3.0, 1 / 3.0, 1 / 3.0, .. SoftmaxRows([-1, 0, 0.5], 1, 3, false)], 1e-6);
    }

    [Test]
    public void SoftmaxFloat64AndRank3()
    {
        double[] x = [0.1, 0.2, 0.7, -3, 4, 5, 2, 2, 2.5, -0.5, 0, 0.5];
        var r = Eval(tf.nn.softmax(tf.constant(x, dtype: tf.float64, shape: new[] { 2, 2, 3 })));
        MathAssert.Close(r, tf.float64, [2, 2, 3], SoftmaxRows(x, 4, 3, log: false), 1e-14);
    }

    [Test]
    public void SoftmaxOfHugeLogitsStaysFinite()
    {
        float[] x = [1e4f, -1e4f, 0f, -1e4f, -1e4f, -1e4f];
        var r = Eval(tf.nn.softmax(tf.constant(x, shape: new[] { 2, 3 })));
        MathAssert.AllFinite(r);
        MathAssert.Close(r, tf.float32, [2, 3], [1, 0, 0, 1 / 3.0, 1 / 3.0, 1 / 3.0], 1e-6, 1e-30);
        var l = Eval(tf.nn.log_softmax(tf.constant(x, shape: new[] { 2, 3 })));
        MathAssert.AllFinite(l);
        MathAssert.Close(l, tf.float32, [2, 3], [0, -2e4, -1e4, -Math.Log(3), -Math.Log(3), -Math.Log(3)], 1e-6, 1e-6);
    }

    [Test]
    public void LogSoftmaxIsLogOfSoftmax()
    {
        float[] x = [1f, 2f, 3f, -10f, 0f, 10f];
        var l = Eval(tf.nn.log_softmax(tf.constant(x, shape: new[] { 2, 3 })));
        MathAssert.Close(l, tf.float32, [2, 3], SoftmaxRows(Reference.ToDouble(x), 2, 3, log: true), 1e-6, 1e-6);
        var probs = l.ToArray<float>().Select(v => Math.Exp(v)).ToArray();
        Assert.That(probs[0] + probs[1] + probs[2], Is.EqualTo(1).Within(1e-6));
        Assert.That(probs[3] + probs[4] + probs[5], Is.EqualTo(1).Within(1e-6));
        double[] d = [0.5, -0.5];
        MathAssert.Close(Eval(tf.nn.log_softmax(tf.constant(d, dtype: tf.float64))), tf.float64, [2], SoftmaxRows(d, 1, 2, log: true), 1e-14);
    }

    [Test]
    public void SoftmaxAndLogSoftmaxAlongAxis0()
    {
        // Along axis 0 each column is a distribution: the transpose of the row-wise result of the transpose.
        float[] x = [1f, 0f, -2f, 3f, 2f, 0f, 5f, 7f];   // (2,4)
        var xt = Reference.Transpose(Reference.ToDouble(x), 2, 4);   // (4,2)
        var expected = Reference.Transpose(SoftmaxRows(xt, 4, 2, log: false), 4, 2);
        var r = Eval(tf.nn.softmax(tf.constant(x, shape: new[] { 2, 4 }), axis: 0));
        MathAssert.Close(r, tf.float32, [2, 4], expected, 1e-6, 1e-7);
        var v = r.ToArray<float>();
        for (int j = 0; j < 4; j++) Assert.That(v[j] + v[4 + j], Is.EqualTo(1f).Within(1e-6), $"column {j} sums to 1");
        var expectedLog = Reference.Transpose(SoftmaxRows(xt, 4, 2, log: true), 4, 2);
        MathAssert.Close(Eval(tf.nn.log_softmax(tf.constant(x, shape: new[] { 2, 4 }), axis: 0)), tf.float32, [2, 4], expectedLog, 1e-6, 1e-6);
    }

    [Test]
    public void SoftmaxAlongMiddleAxisOfRank3()
    {
        float[] x = Reference.RandomFloats(2 * 3 * 4, 11).Select(v => v * 5).ToArray();
        var expected = new double[24];
        for (int i = 0; i < 2; i++)
            for (int k = 0; k < 4; k++)
            {
                var column = Enumerable.Range(0, 3).Select(j => (double)x[(i * 3 + j) * 4 + k]).ToArray();
                var s = SoftmaxRows(column, 1, 3, log: false);
                for (int j = 0; j < 3; j++) expected[(i * 3 + j) * 4 + k] = s[j];
            }
        var r = tf.nn.softmax(tf.constant(x, shape: new[] { 2, 3, 4 }), axis: 1);
        Assert.That(r.shape.Dims, Is.EqualTo(new[] { 2, 3, 4 }));
        MathAssert.Close(Eval(r), tf.float32, [2, 3, 4], expected, 1e-6, 1e-7);
    }

    [Test]
    public void SoftmaxRejectsIntegersAndScalarsWhenBuilding()
    {
        Assert.That(() => tf.nn.softmax(tf.constant(new[] { 1, 2 })), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("int32"));
        Assert.That(() => tf.nn.softmax(tf.constant(1f)), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("rank"));
    }

    // ---------- bias_add ----------
    [Test]
    public void BiasAddRank2()
    {
        var v = tf.constant(new[,] { { 1f, 2f, 3f }, { 4f, 5f, 6f } });
        var b = tf.constant(new[] { 10f, 20f, 30f });
        AssertValue(Eval(tf.nn.bias_add(v, b)), new[] { 11f, 22f, 33f, 14f, 25f, 36f }, [2, 3]);
        var vi = tf.constant(new[,] { { 1, 2 }, { 3, 4 } });
        AssertValue(Eval(tf.nn.bias_add(vi, tf.constant(new[] { -1, 1 }))), new[] { 0, 3, 2, 5 }, [2, 2]);
    }

    [Test]
    public void BiasAddRank4Nhwc()
    {
        // (N,H,W,C) = (2,2,2,3): the bias follows the last axis.
        float[] x = Enumerable.Range(0, 24).Select(i => (float)i).ToArray();
        float[] bias = [100f, 200f, 300f];
        var expected = x.Select((v, i) => (double)v + bias[i % 3]).ToArray();
        var r = tf.nn.bias_add(tf.constant(x, shape: new[] { 2, 2, 2, 3 }), tf.constant(bias));
        MathAssert.Close(Eval(r), tf.float32, [2, 2, 2, 3], expected, 0);
        MathAssert.Close(Eval(tf.nn.bias_add(tf.constant(x, shape: new[] { 2, 2, 2, 3 }), tf.constant(bias), data_format: "NHWC")),
            tf.float32, [2, 2, 2, 3], expected, 0);
    }

    [Test]
    public void BiasAddNchwFollowsAxis1()
    {
        // (N,C,H,W) = (2,3,2,2): element (n,c,h,w) at ((n·3 + c)·2 + h)·2 + w gets bias[c].
        float[] x = Enumerable.Range(0, 24).Select(i => (float)i).ToArray();
        float[] bias = [100f, 200f, 300f];
        var expected = x.Select((v, i) => (double)v + bias[i / 4 % 3]).ToArray();
        var r = tf.nn.bias_add(tf.constant(x, shape: new[] { 2, 3, 2, 2 }), tf.constant(bias), data_format: "NCHW");
        MathAssert.Close(Eval(r), tf.float32, [2, 3, 2, 2], expected, 0);
        // Rank 3 NCHW: (N,C,W) = (2,3,4), bias on axis 1.
        var r3 = tf.nn.bias_add(tf.constant(x, shape: new[] { 2, 3, 4 }), tf.constant(bias), data_format: "NCHW");
        MathAssert.Close(Eval(r3), tf.float32, [2, 3, 4], expected, 0);
    }

    [Test]
    public void BiasAddWithWrongBiasLengthFailsWhenBuilding()
    {
        var v = tf.constant(new float[2, 3]);
        Assert.That(() => tf.nn.bias_add(v, tf.constant(new[] { 1f, 2f })), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("biases"));
        Assert.That(() => tf.nn.bias_add(tf.constant(new float[2, 3, 2, 2]), tf.constant(new[] { 1f, 2f }), data_format: "NCHW"),
            Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("biases"));
        Assert.That(() => tf.nn.bias_add(tf.constant(new float[2, 2, 2, 3]), tf.constant(new[] { 1f, 2f, 3f }), data_format: "NCHW"),
            Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("biases"));
    }
}
