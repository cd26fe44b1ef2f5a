using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>
/// Edge cases where TensorFlow 1's answer is specific: float32 range lengths, arg max with NaN and signed zeros,
/// int abs at the minimum, a scalar pad, and fed shapes that break an op's attributes (TF's errors, not .NET's).
/// </summary>
public class ReviewedEdgeCaseTests(string device) : DeviceTest(device)
{
    [Test]
    public void Float32RangeCountsInFloat32()
    {
        // 0.3f / 0.1f rounds to exactly 3 in float32 (3.0000000745 in float64 would give 4 elements).
        var r = tf.range(0f, 0.3f, 0.1f);
        Assert.That(r.shape.as_list(), Is.EqualTo(new[] { 3 }));
        AssertValue(Eval(r), new[] { 0f, 0.1f, 0.2f }, [3], 1e-7);
    }

    [Test]
    public void ArgMaxSkipsNaNAndTakesTheFirstOfEqualValues()
    {
        // TensorFlow's reducer replaces only on a strict comparison, starting from the lowest value at index 0.
        AssertValue(Eval(tf.argmax(tf.constant(new[] { 1f, float.NaN, 0.5f }), 0)), new[] { 0L }, []);
        AssertValue(Eval(tf.argmax(tf.constant(new[] { float.NaN, 1f, 2f }), 0)), new[] { 2L }, []);
        AssertValue(Eval(tf.argmax(tf.constant(new[] { -0f, 0f }), 0)), new[] { 0L }, []);
        AssertValue(Eval(tf.argmin(tf.constant(new[] { 0f, -0f, float.NaN, -1f }), 0)), new[] { 3L }, []);
        AssertValue(Eval(tf.argmax(tf.constant(new[] { 3, 7, 7, 1 }), 0)), new[] { 1L }, []);
    }

    [Test]
    public void AbsOfTheSmallestIntWrapsAndAScalarPadIsTheScalar()
    {
        AssertValue(Eval(tf.abs(tf.constant(new[] { int.MinValue, -5, 5 }))), new[] { int.MinValue, 5, 5 }, [3]);
        AssertValue(Eval(tf.abs(tf.constant(new[] { long.MinValue, -2L }))), new[] { long.MinValue, 2L }, [2]);
        AssertValue(Eval(tf.pad(tf.constant(5f), new int[0, 2])), new[] { 5f }, []);
    }

    [Test]
    public void FedShapesThatBreakTheAttributesAreTensorFlowsErrors()
    {
        var x = tf.placeholder(tf.float32, shape: new[] { -1 });
        var parts = tf.unstack(x, num: 2);
        var s = tf.placeholder(tf.int32, shape: new[] { 2 });
        var reshaped = tf.reshape(tf.zeros(new TensorShape(6)), s);
        using var sess = tf.Session();
        var error = Assert.Throws<InvalidArgumentException>(() => sess.run(parts[0], (x, new[] { 1f, 2f, 3f })));
        Assert.That(error!.Message, Does.StartWith("Input shape axis 0 must equal 2, got shape (3,)"));
        error = Assert.Throws<InvalidArgumentException>(() => sess.run(reshaped, (s, new[] { -2, -3 })));
        Assert.That(error!.Message, Does.StartWith("Size 0 must be non-negative, not -2"));
        AssertValue(sess.run(parts[1], (x, new[] { 1f, 2f })), new[] { 2f }, []);
    }
}
