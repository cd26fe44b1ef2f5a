using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>
/// The edges of the math ops that have GPU kernels (casts out of range, floor division's signs, accuracy near 0,
/// CheckNumerics' error, the gradient ops' and AddN's shape checks), against values worked out by hand. On the GPU
/// fixture each test also checks that the op ran on the GPU, so the GPU kernel, not the CPU's, gave the value or error.
/// </summary>
public class GpuMathKernelTests(string device) : DeviceTest(device)
{
    /// <summary>Runs <paramref name="body"/> in a session that logs placement, then checks where <paramref name="op"/> went.</summary>
    private void Placed(Tensor op, Action<Session> body)
    {
        var log = new StringWriter();
        var previous = Log.Writer;
        Log.Writer = log;
        try
        {
            using var sess = tf.Session(config: new ConfigProto { LogDevicePlacement = true });
            body(sess);
        }
        finally
        {
            Log.Writer = previous;
            Assert.That(log.ToString(), Does.Contain($"{op.op.name}: ({op.op.type}): /job:localhost/replica:0/task:0/device:{Device}:0"), "placement");
        }
    }

    private TensorValue Run(Tensor y, FeedDict? feeds = null)
    {
        TensorValue result = null!;
        Placed(y, s => result = s.run(y, feeds));
        return result;
    }

    [Test]
    public void CastFromFloatTruncatesTowardZeroAndSaturates()
    {
        var x = tf.constant(new[] { -2.7f, 2.7f, float.NaN, 3e9f, -3e9f, -0.5f, 1e20f });
        AssertValue(Run(tf.cast(x, tf.int32)), new[] { -2, 2, 0, int.MaxValue, int.MinValue, 0, int.MaxValue }, [7]);
        AssertValue(Run(tf.cast(x, tf.int64)), new[] { -2L, 2L, 0L, 3_000_000_000L, -3_000_000_000L, 0L, long.MaxValue }, [7]);
        AssertValue(Run(tf.cast(x, tf.float64)), new[] { (double)-2.7f, (double)2.7f, double.NaN, 3e9, -3e9, -0.5, (double)1e20f }, [7]);
        var b = tf.constant(new[] { 0f, -0f, float.NaN, 1e-30f, -4f });
        AssertValue(Run(tf.cast(b, tf.@bool)), new[] { false, false, true, true, true }, [5]);
    }

    [Test]
    public void CastToUint8SaturatesFloatsAndKeepsTheLowBitsOfIntegers()
    {
        var f = tf.constant(new[] { -3f, 300f, 255.9f, 12.7f, float.NaN });
        Tensor u = null!;
        Placed(u = tf.cast(f, tf.uint8), s => AssertValue(s.run(u), new byte[] { 0, 255, 255, 12, 0 }, [5]));
        var i = tf.constant(new[] { 257, -1, 42 });
        AssertValue(Eval(tf.cast(i, tf.uint8)), new byte[] { 1, 255, 42 }, [3]);
    }

    [Test]
    public void CastBetweenIntegerWidthsAndFromBool()
    {
        var l = tf.constant(new[] { (1L << 32) + 5, -1L, 1L << 40 });
        AssertValue(Run(tf.cast(l, tf.int32)), new[] { 5, -1, 0 }, [3]);
        AssertValue(Run(tf.cast(l, tf.float32)), new[] { 4294967301f, -1f, 1099511627776f }, [3]);
        var i = tf.constant(new[] { 7, 0, -3 });
        AssertValue(Run(tf.cast(i, tf.int64)), new[] { 7L, 0L, -3L }, [3]);
        AssertValue(Run(tf.cast(i, tf.@bool)), new[] { true, false, true }, [3]);
        var mask = tf.less(tf.constant(new[] { 1f, -1f, 0f }), 0.5f);
        AssertValue(Run(tf.cast(mask, tf.float32)), new[] { 0f, 1f, 1f }, [3]);
        AssertValue(Run(tf.cast(mask, tf.int32)), new[] { 0, 1, 1 }, [3]);
    }

    [Test]
    public void FloorDivAndFloorModTakeTheDivisorsSign()
    {
        var x = tf.constant(new[] { 7f, -7f, 7f, -7f, 6.5f, -0.25f });
        var y = tf.constant(new[] { 2f, 2f, -2f, -2f, 0.5f, 4f });
        AssertValue(Run(tf.floordiv(x, y)), new[] { 3f, -4f, -4f, 3f, 13f, -1f }, [6]);
        AssertValue(Run(tf.floormod(x, y)), new[] { 1f, 1f, -1f, -1f, 0f, 3.75f }, [6]);
        // Broadcast against a column of divisors.
        var col = tf.constant(new[,] { { 3f }, { -3f } });
        AssertValue(Run(tf.floormod(tf.constant(new[] { -4f, 4f }), col)), new[] { 2f, 1f, -1f, -2f }, [2, 2]);
    }

    [Test]
    public void PowOfNegativeBasesZerosAndNaN()
    {
        var x = tf.constant(new[] { -2f, -8f, 0f, 2f, float.NaN, 1f, 3f });
        var y = tf.constant(new[] { 3f, 1f / 3, -1f, 0f, 0f, float.NaN, 0.5f });
        var r = Run(tf.pow(x, y)).ToArray<float>();
        Assert.That(r[0], Is.EqualTo(-8f));
        Assert.That(r[1], Is.NaN);
        Assert.That(r[2], Is.EqualTo(float.PositiveInfinity));
        Assert.That(r[3], Is.EqualTo(1f));
        Assert.That(r[4], Is.EqualTo(1f));
        Assert.That(r[5], Is.EqualTo(1f));
        Assert.That(r[6], Is.EqualTo(MathF.Sqrt(3f)).Within(1e-6));
    }

    [Test]
    public void Log1pEluAndSoftplusAreAccurateNearZeroAndForLargeInputs()
    {
        var small = tf.constant(new[] { 1e-7f, -1e-5f, 3e-4f, 0f, -0.999f, 1e30f });
        var l = Run(tf.log1p(small)).ToArray<float>();
        double[] expected = [9.9999995e-8, -1.000005e-5, 2.99955e-4, 0, Math.Log(0.001), Math.Log(1e30)];
        for (int i = 0; i < l.Length; i++) Assert.That(l[i], Is.EqualTo(expected[i]).Within(Math.Abs(expected[i]) * 2e-6 + 1e-12), $"log1p element {i}");
        var e = Run(tf.nn.elu(tf.constant(new[] { -1e-6f, -0.3f, -20f, 2f }))).ToArray<float>();
        double[] eluExpected = [Math.Exp(-1e-6) - 1, Math.Exp(-0.3) - 1, Math.Exp(-20) - 1, 2];
        for (int i = 0; i < e.Length; i++) Assert.That(e[i], Is.EqualTo(eluExpected[i]).Within(Math.Abs(eluExpected[i]) * 2e-6), $"elu element {i}");
        var s = Run(tf.nn.softplus(tf.constant(new[] { -50f, -20f, 0f, 20f, 100f }))).ToArray<float>();
        double[] softplusExpected = [Math.Exp(-50), double.LogP1(Math.Exp(-20)), Math.Log(2), 20 + Math.Exp(-20), 100];
        for (int i = 0; i < s.Length; i++) Assert.That(s[i], Is.EqualTo(softplusExpected[i]).Within(Math.Abs(softplusExpected[i]) * 2e-6), $"softplus element {i}");
    }

    [Test]
    public void SignRelu6AndLeakyReluAtTheirEdges()
    {
        var x = tf.constant(new[] { -2f, -0f, 0f, 3f, 6f, 7f, float.NaN });
        var sign = Run(tf.sign(x)).ToArray<float>();
        Assert.That(sign, Is.EqualTo(new[] { -1f, 0f, 0f, 1f, 1f, 1f, 0f }), "TensorFlow 1: zero is returned for NaN inputs");
        var relu6 = Run(tf.nn.relu6(x)).ToArray<float>();
        Assert.That(relu6.Take(6), Is.EqualTo(new[] { 0f, 0f, 0f, 3f, 6f, 6f }));
        Assert.That(relu6[6], Is.NaN);
        AssertValue(Run(tf.nn.leaky_relu(tf.constant(new[] { -2f, 3f }), alpha: 0.1f)), new[] { -0.2f, 3f }, [2], 1e-7);
    }

    [Test]
    public void SelectV2BroadcastsConditionAndBothBranches()
    {
        var cond = tf.less(tf.constant(new[,] { { 1f }, { -1f } }), 0f);   // [[false], [true]]
        var t = tf.constant(new[] { 1f, 2f, 3f });
        var y = tf.where(cond, t, tf.constant(-5f));
        AssertValue(Run(y), new[] { -5f, -5f, -5f, 1f, 2f, 3f }, [2, 3]);
    }

    [Test]
    public void LogicalOpsBroadcastBools()
    {
        var a = tf.greater(tf.constant(new[,] { { 1f, -1f }, { 2f, -2f } }), 0f); // [[T, F], [T, F]]
        var b = tf.greater(tf.constant(new[] { 1f, 1f }), tf.constant(new[,] { { 0f }, { 2f } })); // [[T, T], [F, F]]
        AssertValue(Run(tf.logical_and(a, b)), new[] { true, false, false, false }, [2, 2]);
        AssertValue(Run(tf.logical_or(a, b)), new[] { true, true, true, false }, [2, 2]);
        AssertValue(Run(tf.logical_not(a)), new[] { false, true, false, true }, [2, 2]);
    }

    [Test]
    public void AddNOfManyInputsAndItsShapeCheck()
    {
        var inputs = Enumerable.Range(1, 11).Select(k => (TensorLike)tf.constant(new[] { k, 10f * k, -k })).ToArray();
        AssertValue(Run(tf.add_n(inputs)), new[] { 66f, 660f, -66f }, [3]);
        var p = tf.placeholder(tf.float32, name: "p");
        var q = tf.placeholder(tf.float32, name: "q");
        var sum = tf.add_n([p, q]);
        Placed(sum, s =>
        {
            var e = Assert.Throws<InvalidArgumentException>(() => s.run(sum, new FeedDict { [p] = new[] { 1f, 2f }, [q] = new[] { 1f, 2f, 3f } }))!;
            Assert.That(e.Message, Does.Contain("Inputs to AddN must all have the same shape: (2,) vs (3,)."));
        });
    }

    [Test]
    public void GradientOpsRejectInputsOfDifferentShapes()
    {
        var a = tf.placeholder(tf.float32, name: "a");
        var b = tf.placeholder(tf.float32, name: "b");
        var g = tf.Op("SoftplusGrad", [a, b], name: "g");
        Placed(g, s =>
        {
            var e = Assert.Throws<InvalidArgumentException>(() => s.run(g, new FeedDict { [a] = new[] { 1f, 2f }, [b] = new[] { 1f } }))!;
            Assert.That(e.Message, Does.Contain("Both inputs must have the same shape, got (2,) and (1,)."));
        });
        AssertValue(Run(g, new FeedDict { [a] = new[] { 2f, 2f }, [b] = new[] { 0f, 0f } }), new[] { 1f, 1f }, [2], 1e-7);
    }

    [Test]
    public void CheckNumericsPassesFiniteValuesAndNamesNaNAndInf()
    {
        var x = tf.placeholder(tf.float32, name: "x");
        var c = tf.debugging.check_numerics(x, "bad values", name: "check");
        Placed(c, s =>
        {
            AssertValue(s.run(c, new FeedDict { [x] = new[] { 1f, -2f } }), new[] { 1f, -2f }, [2]);
            foreach (var (data, what) in new[] { (new[] { 1f, float.NaN }, "NaN"), (new[] { float.PositiveInfinity, 1f }, "Inf"), (new[] { float.NegativeInfinity, float.NaN }, "NaN and Inf") })
            {
                var e = Assert.Throws<InvalidArgumentException>(() => s.run(c, new FeedDict { [x] = data }))!;
                Assert.That(e.Message, Does.Contain($"bad values : Tensor had {what} values"));
                Assert.That(e.Message, Does.Contain("'check'"));
                Assert.That(e.Op, Is.SameAs(c.op));
            }
        });
    }
}
