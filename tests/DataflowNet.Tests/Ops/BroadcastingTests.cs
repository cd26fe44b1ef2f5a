using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>NumPy broadcasting of binary ops, the C# operators with numbers on either side, and build-time errors.</summary>
public class BroadcastingTests(string device) : DeviceTest(device)
{
    private static float[] Seq(int n, float start = 1, float step = 1) => Enumerable.Range(0, n).Select(i => start + i * step).ToArray();

    /// <summary>Builds op(x, y) from constants of the given shapes and checks it against the reference broadcast.</summary>
    private static void Check(Func<Tensor, Tensor, Tensor> op, Func<double, double, double> f, float[] x, int[] xs, float[] y, int[] ys)
    {
        var (expected, shape) = Reference.Broadcast(Reference.ToDouble(x), xs, Reference.ToDouble(y), ys, f);
        var result = op(tf.constant(x, shape: xs), tf.constant(y, shape: ys));
        Assert.That(result.shape.Dims, Is.EqualTo(shape), "static shape");
        MathAssert.Close(Eval(result), tf.float32, shape, expected, 1e-6);
    }

    [Test]
    public void ScalarWithMatrixOnEitherSide()
    {
        var m = tf.constant(new[,] { { 1f, 2f }, { 3f, 4f } });
        var s = tf.constant(10f);
        AssertValue(Eval(tf.add(s, m)), new[] { 11f, 12f, 13f, 14f }, [2, 2]);
        AssertValue(Eval(tf.subtract(s, m)), new[] { 9f, 8f, 7f, 6f }, [2, 2]);
        AssertValue(Eval(tf.subtract(m, s)), new[] { -9f, -8f, -7f, -6f }, [2, 2]);
        AssertValue(Eval(tf.divide(m, s)), new[] { 0.1f, 0.2f, 0.3f, 0.4f }, [2, 2]);
        AssertValue(Eval(tf.divide(s, m)), new[] { 10f, 5f, 10f / 3f, 2.5f }, [2, 2]);
    }

    [Test]
    public void ColumnWithRowGivesOuterTable()
    {
        var col = tf.constant(new[,] { { 0f }, { 10f }, { 20f } });   // (3,1)
        var row = tf.constant(new[,] { { 1f, 2f, 3f, 4f } });        // (1,4)
        AssertValue(Eval(col + row), new[] { 1f, 2f, 3f, 4f, 11f, 12f, 13f, 14f, 21f, 22f, 23f, 24f }, [3, 4]);
        AssertValue(Eval(col - row), new[] { -1f, -2f, -3f, -4f, 9f, 8f, 7f, 6f, 19f, 18f, 17f, 16f }, [3, 4]);
        AssertValue(Eval(row - col), new[] { 1f, 2f, 3f, 4f, -9f, -8f, -7f, -6f, -19f, -18f, -17f, -16f }, [3, 4]);
    }

    [Test]
    public void Rank3WithVector()
    {
        Check((a, b) => a - b, (a, b) => a - b, Seq(24), [2, 3, 4], [100f, 200f, 300f, 400f], [4]);
        Check((a, b) => tf.multiply(b, a), (a, b) => b * a, Seq(24), [2, 3, 4], [1f, -1f, 0.5f, 2f], [4]);
    }

    [Test]
    public void Rank3WithMatrixBroadcastingBothWays()
    {
        // (2,1,4) with (3,1) → (2,3,4): each side is stretched along a different axis.
        Check((a, b) => a - b, (a, b) => a - b, Seq(8), [2, 1, 4], [10f, 20f, 30f], [3, 1]);
        Check((a, b) => b - a, (a, b) => b - a, Seq(8), [2, 1, 4], [10f, 20f, 30f], [3, 1]);
        Check((a, b) => tf.maximum(a, b), Math.Max, Seq(24, -12), [2, 3, 4], Seq(3, -1), [3, 1]);
    }

    [Test]
    public void Rank4WithRank3StretchingAlternateAxes()
    {
        // (5,1,3,1) with (4,1,6) → (5,4,3,6)
        Check((a, b) => a * b, (a, b) => a * b, Seq(15, -7), [5, 1, 3, 1], Seq(24, 0.5f, 0.25f), [4, 1, 6]);
        Check((a, b) => tf.floormod(a, b), (a, b) => a - Math.Floor(a / b) * b, Seq(15, -7), [5, 1, 3, 1], Seq(24, 1.5f, 0.5f), [4, 1, 6]);
    }

    [Test]
    public void LeadingSizeOneAxesAndEqualShapes()
    {
        Check((a, b) => a + b, (a, b) => a + b, Seq(6), [1, 1, 6], Seq(6, 10), [6]);
        Check((a, b) => a + b, (a, b) => a + b, Seq(6), [2, 3], Seq(6, 10), [2, 3]);
        Check((a, b) => a + b, (a, b) => a + b, Seq(3), [3, 1, 1], Seq(1, 5), [1, 1, 1]);
    }

    [Test]
    public void IntegerBroadcasting()
    {
        var m = tf.constant(new[,] { { 7, -7, 8 }, { 1, 2, 3 } });
        var v = tf.constant(new[] { 2, 2, -3 });
        AssertValue(Eval(tf.floordiv(m, v)), new[] { 3, -4, -3, 0, 1, -1 }, [2, 3]);
        AssertValue(Eval(tf.add(m, tf.constant(new[,] { { 100 }, { 200 } }))), new[] { 107, 93, 108, 201, 202, 203 }, [2, 3]);
    }

    [Test]
    public void ShapesKnownOnlyAtRunTimeBroadcast()
    {
        var x = tf.placeholder(tf.float32);
        var y = tf.placeholder(tf.float32, shape: new[] { -1, 4 });
        var z = x * y;
        var feeds = new FeedDict { [x] = new[,] { { 2f }, { 3f }, { -1f } }, [y] = new[,] { { 1f, 2f, 3f, 4f } } };
        AssertValue(Eval(z, feeds), new[] { 2f, 4f, 6f, 8f, 3f, 6f, 9f, 12f, -1f, -2f, -3f, -4f }, [3, 4]);
    }

    [Test]
    public void ShapesIncompatibleAtRunTimeFail()
    {
        var x = tf.placeholder(tf.float32);
        var y = tf.placeholder(tf.float32);
        var z = x + y;
        var feeds = new FeedDict { [x] = new[] { 1f, 2f, 3f }, [y] = new[] { 1f, 2f, 3f, 4f } };
        Assert.That(() => Eval(z, feeds), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("Incompatible shapes"));
    }

    // ---------- C# operators ----------
    [Test]
    public void OperatorsOnFloat64KeepFloat64()
    {
        var a = tf.constant(new[] { 1.5, -3.0 }, dtype: tf.float64);
        var b = tf.constant(new[] { 0.5, 4.0 }, dtype: tf.float64);
        var cases = new (Tensor T, double[] Expected)[]
        {
            (a + b, [2.0, 1.0]),
            (a - 1, [0.5, -4.0]),
            (1 - a, [-0.5, 4.0]),
            (2 * a, [3.0, -6.0]),
            (a * 2.0, [3.0, -6.0]),
            (a / 2.0, [0.75, -1.5]),
            (3.0 / b, [6.0, 0.75]),
            (-a, [-1.5, 3.0]),
            (a % 3, [1.5, 0.0]),
            // A C# double keeps double precision on a float64 tensor: 0.1 is not first rounded to float32.
            (a + 0.1, [1.5 + 0.1, -3.0 + 0.1]),
        };
        foreach (var (t, expected) in cases)
        {
            Assert.That(t.dtype, Is.EqualTo(tf.float64), t.ToString());
            AssertValue(Eval(t), expected, [2]);
        }
    }

    [Test]
    public void OperatorsOnInt32KeepInt32ExceptTrueDivision()
    {
        var a = tf.constant(new[] { 7, -7, 4 });
        var b = tf.constant(new[] { 2, 3, -3 });
        var cases = new (Tensor T, int[] Expected)[]
        {
            (a + b, [9, -4, 1]),
            (a + 1, [8, -6, 5]),
            (a - 1, [6, -8, 3]),
            (10 - a, [3, 17, 6]),
            (2 * a, [14, -14, 8]),
            (a * b, [14, -21, -12]),
            (-a, [-7, 7, -4]),
            (a % 3, [1, 2, 1]),
            (a % b, [1, 2, -2]),
            (20 % a, [6, -1, 0]),
        };
        foreach (var (t, expected) in cases)
        {
            Assert.That(t.dtype, Is.EqualTo(tf.int32), t.ToString());
            AssertValue(Eval(t), expected, [3]);
        }
        var q = a / 2;
        Assert.That(q.dtype, Is.EqualTo(tf.float64));
        AssertValue(Eval(q), new[] { 3.5, -3.5, 2.0 }, [3]);
    }

    [Test]
    public void OperatorsOnFloat32Int64AndUInt8KeepTheirDtype()
    {
        var f = tf.constant(new[] { 1f, -2f });
        var f2 = f / 2.0;
        Assert.That(f2.dtype, Is.EqualTo(tf.float32));
        AssertValue(Eval(f2), new[] { 0.5f, -1f }, [2]);
        AssertValue(Eval(2.5 * f - 1), new[] { 1.5f, -6f }, [2]);

        var l = tf.constant(new[] { 4_000_000_000L });
        var l1 = l + 1;
        Assert.That(l1.dtype, Is.EqualTo(tf.int64));
        AssertValue(Eval(l1), new[] { 4_000_000_001L }, [1]);

        var u = tf.constant(new byte[] { 10, 255 });
        var u1 = u + 1;
        Assert.That(u1.dtype, Is.EqualTo(tf.uint8));
        AssertValue(Eval(u1), new byte[] { 11, 0 }, [2]);
    }

    [Test]
    public void OperatorWithFractionalNumberOnIntTensorIsRejected()
    {
        // As TensorFlow: 2.5 cannot become an int32 constant without changing its value.
        var a = tf.constant(new[] { 1, 2 });
        Assert.That(() => a + 2.5, Throws.InstanceOf<InvalidArgumentException>());
    }

    // ---------- build-time errors ----------
    [Test]
    public void AddingShape3ToShape4FailsWhenBuilding()
    {
        var a = tf.constant(new[] { 1f, 2f, 3f });
        var b = tf.constant(new[] { 1f, 2f, 3f, 4f });
        Assert.That(() => tf.add(a, b), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("Incompatible shapes"));
        Assert.That(() => a + b, Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("Incompatible shapes"));
        var m = tf.constant(new float[2, 3]);
        var n = tf.constant(new float[3, 2]);
        Assert.That(() => tf.multiply(m, n), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("Incompatible shapes"));
    }

    [Test]
    public void AddingFloat32ToInt32FailsNamingBothDtypes()
    {
        var f = tf.constant(new[] { 1f, 2f });
        var i = tf.constant(new[] { 1, 2 });
        Assert.That(() => tf.add(f, i), Throws.InstanceOf<InvalidArgumentException>()
            .With.Message.Contains("float32").And.Message.Contains("int32"));
        Assert.That(() => i - f, Throws.InstanceOf<InvalidArgumentException>()
            .With.Message.Contains("float32").And.Message.Contains("int32"));
        Assert.That(() => tf.divide(f, i), Throws.InstanceOf<InvalidArgumentException>()
            .With.Message.Contains("float32").And.Message.Contains("int32"));
    }

    [Test]
    public void FloatOnlyOpsOnInt32FailNamingAllowedDtypes()
    {
        var i = tf.constant(new[] { 4, 9 });
        Assert.That(() => tf.sqrt(i), Throws.InstanceOf<InvalidArgumentException>()
            .With.Message.Contains("int32").And.Message.Contains("float32, float64"));
        Assert.That(() => tf.exp(i), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("float32, float64"));
        Assert.That(() => tf.sqrt(tf.constant("x")), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("string"));
    }

    [Test]
    public void ArithmeticOnBoolOrStringFailsWhenBuilding()
    {
        var b = tf.constant(new[] { true, false });
        Assert.That(() => tf.add(b, b), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("bool"));
        var s = tf.constant(new[] { "a", "b" });
        Assert.That(() => tf.multiply(s, s), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("string"));
    }
}
