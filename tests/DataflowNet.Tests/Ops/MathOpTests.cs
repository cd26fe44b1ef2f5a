using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>Elementwise arithmetic (tf.add … tf.add_n) for each dtype it supports, against hand or double-loop values.</summary>
public class MathOpTests(string device) : DeviceTest(device)
{
    // ---------- add, subtract, multiply ----------
    [Test]
    public void AddSubtractMultiplyFloat32()
    {
        var x = tf.constant(new[] { 1.5f, -2f, 3.25f, 0f });
        var y = tf.constant(new[] { 0.5f, 4f, -1.25f, 2f });
        AssertValue(Eval(tf.add(x, y)), new[] { 2f, 2f, 2f, 2f }, [4]);
        AssertValue(Eval(tf.subtract(x, y)), new[] { 1f, -6f, 4.5f, -2f }, [4]);
        AssertValue(Eval(tf.multiply(x, y)), new[] { 0.75f, -8f, -4.0625f, 0f }, [4]);
    }

    [Test]
    public void AddSubtractMultiplyFloat64KeepDoublePrecision()
    {
        var x = tf.constant(new[] { 0.1, 1e-20, 3.0 }, dtype: tf.float64);
        var y = tf.constant(new[] { 0.2, 1.0, 1.0 / 3 }, dtype: tf.float64);
        // 0.1 + 0.2 is 0.30000000000000004 in double; float32 arithmetic could not give this value.
        AssertValue(Eval(tf.add(x, y)), new[] { 0.1 + 0.2, 1e-20 + 1.0, 3.0 + 1.0 / 3 }, [3]);
        AssertValue(Eval(tf.subtract(x, y)), new[] { 0.1 - 0.2, 1e-20 - 1.0, 3.0 - 1.0 / 3 }, [3]);
        AssertValue(Eval(tf.multiply(x, y)), new[] { 0.1 * 0.2, 1e-20, 1.0 }, [3]);
    }

    [Test]
    public void AddSubtractMultiplyInt32()
    {
        var x = tf.constant(new[] { 7, -3, 0, 100000 });
        var y = tf.constant(new[] { 2, 5, -4, 3 });
        AssertValue(Eval(tf.add(x, y)), new[] { 9, 2, -4, 100003 }, [4]);
        AssertValue(Eval(tf.subtract(x, y)), new[] { 5, -8, 4, 99997 }, [4]);
        AssertValue(Eval(tf.multiply(x, y)), new[] { 14, -15, 0, 300000 }, [4]);
    }

    [Test]
    public void AddSubtractMultiplyInt64BeyondInt32Range()
    {
        var x = tf.constant(new[] { 3_000_000_000L, -5L });
        var y = tf.constant(new[] { 2L, 7L });
        AssertValue(Eval(tf.add(x, y)), new[] { 3_000_000_002L, 2L }, [2]);
        AssertValue(Eval(tf.subtract(x, y)), new[] { 2_999_999_998L, -12L }, [2]);
        AssertValue(Eval(tf.multiply(x, y)), new[] { 6_000_000_000L, -35L }, [2]);
    }

    [Test]
    public void AddSubtractMultiplyUInt8WrapModulo256()
    {
        var x = tf.constant(new byte[] { 200, 250, 3, 20 });
        var y = tf.constant(new byte[] { 55, 10, 5, 13 });
        AssertValue(Eval(tf.add(x, y)), new byte[] { 255, 4, 8, 33 }, [4]);
        AssertValue(Eval(tf.subtract(x, y)), new byte[] { 145, 240, 254, 7 }, [4]);
        AssertValue(Eval(tf.multiply(x, y)), new byte[] { (200 * 55) % 256, (250 * 10) % 256, 15, (20 * 13) % 256 }, [4]);
    }

    // ---------- true division ----------
    [Test]
    public void DivideFloat32AndFloat64()
    {
        var x = tf.constant(new[] { 1f, -3f, 7f });
        var y = tf.constant(new[] { 4f, 2f, -8f });
        AssertValue(Eval(tf.divide(x, y)), new[] { 0.25f, -1.5f, -0.875f }, [3]);
        var a = tf.constant(new[] { 1.0, 2.0 }, dtype: tf.float64);
        var b = tf.constant(new[] { 3.0, 7.0 }, dtype: tf.float64);
        AssertValue(Eval(tf.truediv(a, b)), new[] { 1.0 / 3.0, 2.0 / 7.0 }, [2]);
    }

    [Test]
    public void DivideByZeroInFloatGivesInfinityAndNaN()
    {
        var x = tf.constant(new[] { 1f, -1f, 0f });
        var y = tf.constant(new[] { 0f, 0f, 0f });
        MathAssert.Close(Eval(tf.divide(x, y)), tf.float32, [3], [double.PositiveInfinity, double.NegativeInfinity, double.NaN], 0);
    }

    [Test]
    public void TruedivOfInt32AndInt64CastsToFloat64()
    {
        var x = tf.constant(new[] { 7, -7, 1 });
        var y = tf.constant(new[] { 2, 2, 3 });
        var q = tf.truediv(x, y);
        Assert.That(q.dtype, Is.EqualTo(tf.float64));
        AssertValue(Eval(q), new[] { 3.5, -3.5, 1.0 / 3.0 }, [3]);

        var big = tf.divide(tf.constant(new[] { 9_007_199_254_740_993L }), tf.constant(new[] { 1L }));
        Assert.That(big.dtype, Is.EqualTo(tf.float64));
        AssertValue(Eval(big), new[] { (double)9_007_199_254_740_993L }, [1]);
    }

    [Test]
    public void TruedivOfUInt8CastsToFloat32()
    {
        var q = tf.truediv(tf.constant(new byte[] { 7, 255 }), tf.constant(new byte[] { 2, 4 }));
        Assert.That(q.dtype, Is.EqualTo(tf.float32));
        AssertValue(Eval(q), new[] { 3.5f, 63.75f }, [2]);
    }

    // ---------- floor division and modulo (Python semantics) ----------
    [Test]
    public void FloordivInt32RoundsTowardNegativeInfinity()
    {
        var x = tf.constant(new[] { 7, -7, 7, -7, 6, -6, 6, 0, 1 });
        var y = tf.constant(new[] { 2, 2, -2, -2, 3, 3, -3, 5, -5 });
        // Python: 7//2=3, -7//2=-4, 7//-2=-4, -7//-2=3, 6//3=2, -6//3=-2, 6//-3=-2, 0//5=0, 1//-5=-1
        AssertValue(Eval(tf.floordiv(x, y)), new[] { 3, -4, -4, 3, 2, -2, -2, 0, -1 }, [9]);
    }

    [Test]
    public void FloordivInt64AndUInt8()
    {
        var x = tf.constant(new[] { -7L, 10_000_000_001L });
        var y = tf.constant(new[] { 2L, -2L });
        AssertValue(Eval(tf.floordiv(x, y)), new[] { -4L, -5_000_000_001L }, [2]);
        AssertValue(Eval(tf.floordiv(tf.constant(new byte[] { 7, 255 }), tf.constant(new byte[] { 2, 16 }))), new byte[] { 3, 15 }, [2]);
    }

    [Test]
    public void FloordivFloat32IsFloorOfQuotient()
    {
        var x = tf.constant(new[] { 7.5f, -7.5f, 7f, -1f, 6f });
        var y = tf.constant(new[] { 2f, 2f, -2f, 3f, 3f });
        AssertValue(Eval(tf.floordiv(x, y)), new[] { 3f, -4f, -4f, -1f, 2f }, [5]);
    }

    [Test]
    public void FloormodInt32TakesTheDivisorsSign()
    {
        var x = tf.constant(new[] { 7, -7, 7, -7, 6, -6, 0 });
        var y = tf.constant(new[] { 2, 2, -2, -2, 3, 3, 4 });
        // Python: 7%2=1, -7%2=1, 7%-2=-1, -7%-2=-1, 6%3=0, -6%3=0, 0%4=0
        AssertValue(Eval(tf.floormod(x, y)), new[] { 1, 1, -1, -1, 0, 0, 0 }, [7]);
        AssertValue(Eval(tf.mod(x, y)), new[] { 1, 1, -1, -1, 0, 0, 0 }, [7]);
    }

    [Test]
    public void FloormodInt64AndUInt8()
    {
        AssertValue(Eval(tf.floormod(tf.constant(new[] { -7L, 10_000_000_001L }), tf.constant(new[] { 3L, -4L }))), new[] { 2L, -3L }, [2]);
        AssertValue(Eval(tf.floormod(tf.constant(new byte[] { 7, 255 }), tf.constant(new byte[] { 2, 16 }))), new byte[] { 1, 15 }, [2]);
    }

    [Test]
    public void FloormodFloatTakesTheDivisorsSign()
    {
        var x = tf.constant(new[] { 7.5f, -7.5f, 7.5f, -7.5f, -1f, 6f });
        var y = tf.constant(new[] { 2f, 2f, -2f, -2f, 3f, 3f });
        // Python: 7.5%2=1.5, -7.5%2=0.5, 7.5%-2=-0.5, -7.5%-2=-1.5, -1%3=2.0, 6%3=0.0
        AssertValue(Eval(tf.floormod(x, y)), new[] { 1.5f, 0.5f, -0.5f, -1.5f, 2f, 0f }, [6]);
        var d = tf.floormod(tf.constant(new[] { -0.25, 5.5 }, dtype: tf.float64), tf.constant(new[] { 1.0, -2.0 }, dtype: tf.float64));
        AssertValue(Eval(d), new[] { 0.75, -0.5 }, [2]);
    }

    [Test]
    public void IntegerFloordivAndFloormodByZeroFailAtRunTime()
    {
        var x = tf.placeholder(tf.int32);
        var y = tf.placeholder(tf.int32);
        var div = tf.floordiv(x, y); // building succeeds: the divisor is only known when run
        var mod = tf.floormod(x, y);
        var feeds = new FeedDict { [x] = new[] { 5, 6 }, [y] = new[] { 1, 0 } };
        Assert.That(() => Eval(div, feeds), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("division by zero"));
        Assert.That(() => Eval(mod, feeds), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("division by zero"));
    }

    // ---------- pow ----------
    [Test]
    public void PowFloat32()
    {
        var x = tf.constant(new[] { 2f, 9f, 2f, 4f, 0f, -2f });
        var y = tf.constant(new[] { 3f, 0.5f, -1f, 0f, 2f, 2f });
        AssertValue(Eval(tf.pow(x, y)), new[] { 8f, 3f, 0.5f, 1f, 0f, 4f }, [6]);
    }

    [Test]
    public void PowFloat64MatchesMathPow()
    {
        double[] x = [2, 10, 1.5, -8];
        double[] y = [0.5, -2, 3.3, 1.0 / 3];
        var got = Eval(tf.pow(tf.constant(x, dtype: tf.float64), tf.constant(y, dtype: tf.float64)));
        // A negative base to a fractional power is NaN, as in C's pow.
        MathAssert.Close(got, tf.float64, [4], [Math.Sqrt(2), 0.01, 1.5 * 1.5 * Math.Exp(1.3 * Math.Log(1.5)), double.NaN], 1e-14);
    }

    [Test]
    public void PowOfIntegersIsExactWrapsOnOverflowAndRefusesNegativeExponents()
    {
        // tf.pow([2, 3, -2, 0, 7], [10, 3, 3, 0, 1]) = [1024, 27, -8, 1, 7] (0^0 = 1), int32 in, int32 out.
        AssertValue(Eval(tf.pow(tf.constant(new[] { 2, 3, -2, 0, 7 }), tf.constant(new[] { 10, 3, 3, 0, 1 }))), new[] { 1024, 27, -8, 1, 7 }, [5]);
        // A scalar exponent broadcasts: [[1, 2], [3, 4]]^2.
        AssertValue(Eval(tf.pow(tf.constant(new[,] { { 1L, 2 }, { 3, 4 } }), tf.constant(2L))), new[] { 1L, 4, 9, 16 }, [2, 2]);
        // 3^40 = 12157665459056928801 wraps in int64 to that minus 2^64, as TensorFlow's two's complement multiply does.
        AssertValue(Eval(tf.pow(tf.constant(3L), tf.constant(40L))), new[] { unchecked((long)12157665459056928801UL) }, []);
        Assert.That(unchecked((long)12157665459056928801UL), Is.EqualTo(-6289078614652622815L));
        var p = tf.placeholder(tf.int32, name: "exponent");
        var e = Assert.Throws<InvalidArgumentException>(() => Eval(tf.pow(tf.constant(new[] { 2, 2 }), p, name: "power"),
            new FeedDict { [p] = new[] { 1, -1 } }));
        Assert.That(e!.Message, Does.Contain("Integers to negative integer powers are not allowed"));
        Assert.That(e.Op!.name, Is.EqualTo("power"));
    }

    // ---------- unary numeric ----------
    [Test]
    public void NegativeForFloatAndIntegerDtypes()
    {
        AssertValue(Eval(tf.negative(tf.constant(new[] { 1.5f, -2f, 0f }))), new[] { -1.5f, 2f, -0f }, [3]);
        AssertValue(Eval(tf.negative(tf.constant(new[] { 3, -4, 0 }))), new[] { -3, 4, 0 }, [3]);
        AssertValue(Eval(tf.negative(tf.constant(new[] { 5_000_000_000L }))), new[] { -5_000_000_000L }, [1]);
        AssertValue(Eval(tf.negative(tf.constant(new[] { 0.25, -1e300 }, dtype: tf.float64))), new[] { -0.25, 1e300 }, [2]);
    }

    [Test]
    public void AbsForFloatAndIntegerDtypes()
    {
        AssertValue(Eval(tf.abs(tf.constant(new[] { -1.5f, 2f, -0f }))), new[] { 1.5f, 2f, 0f }, [3]);
        AssertValue(Eval(tf.abs(tf.constant(new[] { -3, 4, 0 }))), new[] { 3, 4, 0 }, [3]);
        AssertValue(Eval(tf.abs(tf.constant(new[] { -5_000_000_000L }))), new[] { 5_000_000_000L }, [1]);
        AssertValue(Eval(tf.abs(tf.constant(new[] { -0.125, 3.0 }, dtype: tf.float64))), new[] { 0.125, 3.0 }, [2]);
        AssertValue(Eval(tf.abs(tf.constant(new byte[] { 0, 200 }))), new byte[] { 0, 200 }, [2]);
    }

    [Test]
    public void SignForFloatAndIntegerDtypes()
    {
        AssertValue(Eval(tf.sign(tf.constant(new[] { -2.5f, 0f, 3f, -0.001f, float.NaN }))), new[] { -1f, 0f, 1f, -1f, 0f }, [5]); // NaN → 0 (TF 1's docs)
        AssertValue(Eval(tf.sign(tf.constant(new[] { -7, 0, 9 }))), new[] { -1, 0, 1 }, [3]);
        AssertValue(Eval(tf.sign(tf.constant(new[] { -1e-300, 1e300 }, dtype: tf.float64))), new[] { -1.0, 1.0 }, [2]);
        AssertValue(Eval(tf.sign(tf.constant(new[] { -8_000_000_000L, 0L }))), new[] { -1L, 0L }, [2]);
    }

    [Test]
    public void SquareForFloatAndIntegerDtypes()
    {
        AssertValue(Eval(tf.square(tf.constant(new[] { 1.5f, -3f, 0f }))), new[] { 2.25f, 9f, 0f }, [3]);
        AssertValue(Eval(tf.square(tf.constant(new[] { -4, 5 }))), new[] { 16, 25 }, [2]);
        AssertValue(Eval(tf.square(tf.constant(new[] { 3_000_000_000L }))), new[] { 9_000_000_000_000_000_000L }, [1]);
        AssertValue(Eval(tf.square(tf.constant(new[] { 0.1 }, dtype: tf.float64))), new[] { 0.1 * 0.1 }, [1]);
    }

    // ---------- unary floating ----------
    private static void CheckUnary(Func<Tensor, Tensor> op, float[] x, Func<double, double> f, double rel32, double abs32 = 0)
    {
        var expected = x.Select(v => f(v)).ToArray();
        MathAssert.Close(Eval(op(tf.constant(x))), tf.float32, [x.Length], expected, rel32, abs32);
        // float64: the same inputs, held to double precision.
        var x64 = Reference.ToDouble(x);
        MathAssert.Close(Eval(op(tf.constant(x64, dtype: tf.float64))), tf.float64, [x.Length], expected, 1e-14, abs32 == 0 ? 0 : 1e-15);
    }

    [Test]
    public void SqrtFloat32AndFloat64()
    {
        CheckUnary(t => tf.sqrt(t), [4f, 2f, 0f, 0.25f, 1e10f], Math.Sqrt, 1e-7);
        MathAssert.Close(Eval(tf.sqrt(tf.constant(new[] { -1f }))), tf.float32, [1], [double.NaN], 0);
    }

    [Test]
    public void RsqrtIsAccurateNotAnEstimate()
    {
        CheckUnary(t => tf.rsqrt(t), [4f, 0.25f, 2f, 3f, 1e-6f, 12345.678f], v => 1 / Math.Sqrt(v), 2e-7);
        MathAssert.Close(Eval(tf.rsqrt(tf.constant(new[] { 0f }))), tf.float32, [1], [double.PositiveInfinity], 0);
    }

    [Test]
    public void ExpFloat32AndFloat64()
    {
        CheckUnary(t => tf.exp(t), [0f, 1f, -1f, 2.5f, -20f, 30f], Math.Exp, 1e-6);
        MathAssert.Close(Eval(tf.exp(tf.constant(new[] { 100f, -200f }))), tf.float32, [2], [double.PositiveInfinity, 0], 0);
    }

    [Test]
    public void LogFloat32AndFloat64()
    {
        CheckUnary(t => tf.log(t), [1f, (float)Math.E, 10f, 0.5f, 1e-30f], Math.Log, 1e-6, 1e-7);
        MathAssert.Close(Eval(tf.log(tf.constant(new[] { 0f, -1f }))), tf.float32, [2], [double.NegativeInfinity, double.NaN], 0);
    }

    [Test]
    public void Log1pFloat32AndFloat64()
    {
        CheckUnary(t => tf.log1p(t), [0f, 1f, -0.5f, 3f, 1e5f], v => Math.Log(1 + v), 1e-6, 1e-7);
        MathAssert.Close(Eval(tf.log1p(tf.constant(new[] { -1f }))), tf.float32, [1], [double.NegativeInfinity], 0);
    }

    [Test]
    public void Log1pIsAccurateForTinyInputs()
    {
        // log1p exists for x near 0, where log(1 + x) loses the digits of x: log1p(x) = x - x²/2 + x³/3 - …
        double[] x = [1e-10, -3e-12, 1e-20, 2e-5];
        var expected = x.Select(v => v - v * v / 2 + v * v * v / 3).ToArray();
        MathAssert.Close(Eval(tf.log1p(tf.constant(x, dtype: tf.float64))), tf.float64, [4], expected, 1e-14);
        float[] xf = [1e-10f, -3e-7f, 1e-20f];
        var expectedF = xf.Select(v => (double)v - (double)v * v / 2).ToArray();
        MathAssert.Close(Eval(tf.log1p(tf.constant(xf))), tf.float32, [3], expectedF, 1e-6);
    }

    [Test]
    public void SinAndCosFloat32AndFloat64()
    {
        float[] x = [0f, (float)(Math.PI / 6), (float)(Math.PI / 2), -1f, 3f, 100f];
        CheckUnary(t => tf.sin(t), x, Math.Sin, 1e-6, 1e-6);
        CheckUnary(t => tf.cos(t), x, Math.Cos, 1e-6, 1e-6);
        // By hand: sin(π/6) = 1/2, cos(0) = 1.
        AssertValue(Eval(tf.cos(tf.constant(new[] { 0.0 }, dtype: tf.float64))), new[] { 1.0 }, [1]);
        MathAssert.Close(Eval(tf.sin(tf.constant(new[] { Math.PI / 6 }, dtype: tf.float64))), tf.float64, [1], [0.5], 1e-15);
    }

    [Test]
    public void TanhFloat32AndFloat64()
    {
        CheckUnary(t => tf.tanh(t), [0f, 0.5f, -2f, 20f, -20f, 1e-4f], Math.Tanh, 1e-6, 1e-7);
    }

    [Test]
    public void SigmoidFloat32AndFloat64()
    {
        CheckUnary(t => tf.sigmoid(t), [0f, 2f, -2f, 10f, -10f], v => 1 / (1 + Math.Exp(-v)), 1e-6, 1e-7);
        var extreme = Eval(tf.sigmoid(tf.constant(new[] { 100f, -100f, 1000f, -1000f })));
        MathAssert.Close(extreme, tf.float32, [4], [1, 0, 1, 0], 0, 1e-30);
    }

    [Test]
    public void ReciprocalFloat32AndFloat64()
    {
        CheckUnary(t => tf.reciprocal(t), [2f, -0.25f, 3f, 1e-3f], v => 1 / v, 1e-7);
        MathAssert.Close(Eval(tf.reciprocal(tf.constant(new[] { 0f }))), tf.float32, [1], [double.PositiveInfinity], 0);
    }

    // ---------- maximum, minimum, squared_difference ----------
    [Test]
    public void MaximumAndMinimumFloat32()
    {
        var x = tf.constant(new[] { 1f, -2f, 3.5f, -0.5f });
        var y = tf.constant(new[] { 0f, -1f, 3.5f, -4f });
        AssertValue(Eval(tf.maximum(x, y)), new[] { 1f, -1f, 3.5f, -0.5f }, [4]);
        AssertValue(Eval(tf.minimum(x, y)), new[] { 0f, -2f, 3.5f, -4f }, [4]);
    }

    [Test]
    public void MaximumAndMinimumIntegerDtypes()
    {
        var x = tf.constant(new[] { 1, -2, 7 });
        var y = tf.constant(new[] { 0, -1, 7 });
        AssertValue(Eval(tf.maximum(x, y)), new[] { 1, -1, 7 }, [3]);
        AssertValue(Eval(tf.minimum(x, y)), new[] { 0, -2, 7 }, [3]);
        AssertValue(Eval(tf.maximum(tf.constant(new[] { -5_000_000_000L, 3L }), tf.constant(new[] { 1L, -3L }))), new[] { 1L, 3L }, [2]);
        AssertValue(Eval(tf.minimum(tf.constant(new byte[] { 200, 3 }), tf.constant(new byte[] { 100, 250 }))), new byte[] { 100, 3 }, [2]);
        AssertValue(Eval(tf.maximum(tf.constant(new[] { 0.5, -1.0 }, dtype: tf.float64), tf.constant(new[] { 0.25, 2.0 }, dtype: tf.float64))), new[] { 0.5, 2.0 }, [2]);
    }

    [Test]
    public void SquaredDifferenceFloatAndInteger()
    {
        AssertValue(Eval(tf.squared_difference(tf.constant(new[] { 1f, -2f, 3.5f }), tf.constant(new[] { 4f, 2f, 3.5f }))), new[] { 9f, 16f, 0f }, [3]);
        AssertValue(Eval(tf.squared_difference(tf.constant(new[] { -3, 10 }), tf.constant(new[] { 4, -5 }))), new[] { 49, 225 }, [2]);
        AssertValue(Eval(tf.squared_difference(tf.constant(new[] { 0.5 }, dtype: tf.float64), tf.constant(new[] { -0.25 }, dtype: tf.float64))), new[] { 0.5625 }, [1]);
    }

    // ---------- add_n ----------
    [Test]
    public void AddNSumsSameShapedTensors()
    {
        var a = tf.constant(new[,] { { 1f, 2f }, { 3f, 4f } });
        var b = tf.constant(new[,] { { 10f, 20f }, { 30f, 40f } });
        var c = tf.constant(new[,] { { -1f, 0.5f }, { 0f, 100f } });
        AssertValue(Eval(tf.add_n([a, b, c])), new[] { 10f, 22.5f, 33f, 144f }, [2, 2]);
        var ints = tf.add_n([tf.constant(new[] { 1, 2 }), tf.constant(new[] { 3, 4 }), tf.constant(new[] { -5, 6 }), tf.constant(new[] { 0, 1 })]);
        AssertValue(Eval(ints), new[] { -1, 13 }, [2]);
        AssertValue(Eval(tf.add_n([tf.constant(new[] { 0.1 }, dtype: tf.float64), tf.constant(new[] { 0.2 }, dtype: tf.float64)])), new[] { 0.1 + 0.2 }, [1]);
    }

    [Test]
    public void AddNOfOneInputIsThatInput()
    {
        var a = tf.constant(new[] { 3f, 4f });
        AssertValue(Eval(tf.add_n([a])), new[] { 3f, 4f }, [2]);
    }

    [Test]
    public void AddNRejectsDifferentShapesAtBuildTime()
    {
        var a = tf.constant(new[] { 1f, 2f });
        var b = tf.constant(new[] { 1f, 2f, 3f });
        Assert.That(() => tf.add_n([a, b]), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("same shape"));
    }
}
