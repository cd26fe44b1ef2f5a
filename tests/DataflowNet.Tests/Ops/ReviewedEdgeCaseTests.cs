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

    [Test]
    public void ReducingAnEmptyTensorGivesEmptyOrIdentityValues()
    {
        // [2, 0] reduced over axis 0 is an empty [0]; over axis 1 it is the reduction of nothing per row.
        var empty = tf.zeros(new TensorShape(2, 0));
        AssertValue(Eval(tf.reduce_sum(empty, 0)), Array.Empty<float>(), [0]);
        AssertValue(Eval(tf.reduce_max(tf.zeros(new TensorShape(2, 3, 0)), new[] { 0, 1 })), Array.Empty<float>(), [0]);
        AssertValue(Eval(tf.reduce_sum(empty, 1)), new[] { 0f, 0f }, [2]);
        AssertValue(Eval(tf.reduce_prod(empty, 1)), new[] { 1f, 1f }, [2]);
        AssertValue(Eval(tf.reduce_max(empty, 1)), new[] { float.NegativeInfinity, float.NegativeInfinity }, [2]);
        Assert.That(Eval(tf.reduce_mean(empty, 1)).ToArray<float>(), Is.All.NaN);
        var p = tf.placeholder(tf.float32, shape: new TensorShape(-1, -1));
        AssertValue(Eval(tf.reduce_min(p, 0), new FeedDict { [p] = new float[3, 0] }), Array.Empty<float>(), [0]);
    }

    [Test]
    public void ADuplicateReductionAxisIsAnError()
    {
        // TensorFlow: "Invalid reduction arguments: Axes contains duplicate dimension: 0" (1 and -1 are the same axis).
        var e = Assert.Throws<InvalidArgumentException>(() => tf.reduce_sum(tf.constant(new[] { 1f, 2f }), new[] { 0, 0 }));
        Assert.That(e!.Message, Does.Contain("Axes contains duplicate dimension: 0"));
        var axes = tf.placeholder(tf.int32, shape: new TensorShape(2));
        var sum = tf.Op("Sum", [tf.ones(new TensorShape(2, 2)), axes], new() { ["keep_dims"] = false });
        var run = Assert.Throws<InvalidArgumentException>(() => Eval(sum, new FeedDict { [axes] = new[] { 1, -1 } }));
        Assert.That(run!.Message, Does.Contain("Axes contains duplicate dimension: 1"));
        AssertValue(Eval(sum, new FeedDict { [axes] = new[] { 1, 0 } }), new[] { 4f }, []);
    }

    [Test]
    public void SignOfNaNIsZeroAndLog1pOfMinusInfinityIsNaN()
    {
        // TF 1's tf.sign: "Zero is returned for NaN inputs"; log1p(-inf) = log(-inf) = NaN.
        AssertValue(Eval(tf.sign(tf.constant(new[] { float.NaN, -2f, 0f }))), new[] { 0f, -1f, 0f }, [3]);
        Assert.That(Eval(tf.log1p(tf.constant(new[] { float.NegativeInfinity }))).ToArray<float>()[0], Is.NaN);
        Assert.That(Eval(tf.log1p(tf.constant(new[] { float.PositiveInfinity }))).ToArray<float>()[0], Is.EqualTo(float.PositiveInfinity));
    }

    [Test]
    public void ClipByValueClipsToTheMaximumFirstAndMayNotEnlargeTheValue()
    {
        // TF 1: minimum(t, max) then maximum(·, min), so with min > max every value becomes min.
        AssertValue(Eval(tf.clip_by_value(tf.constant(new[] { 1f, 5f }), 4f, 2f)), new[] { 4f, 4f }, [2]);
        AssertValue(Eval(tf.clip_by_value(tf.constant(new[] { -3f, 0.5f, 9f }), -1f, 1f)), new[] { -1f, 0.5f, 1f }, [3]);
        // Per-element bounds of the value's shape are fine; bounds that broadcast it to [2, 2] are refused.
        AssertValue(Eval(tf.clip_by_value(tf.constant(new[] { 1f, 5f }), tf.constant(new[] { 2f, 0f }), 3f)), new[] { 2f, 3f }, [2]);
        var e = Assert.Throws<InvalidArgumentException>(() => tf.clip_by_value(tf.constant(new[] { 1f, 2f }), tf.constant(new[,] { { 0f }, { 1.5f } }), 3f));
        Assert.That(e!.Message, Does.Contain("clip_value_min").And.Contain("(2, 2)"));
    }

    [Test]
    public void ABatchedGatherAsAGraphFileCarriesItGathersPerBatchNotAsAPlainOne()
    {
        var p = tf.constant(new[,] { { 1f, 2f }, { 3f, 4f } });
        var idx = tf.constant(new[,] { { 1 }, { 0 } });
        var g = tf.Op("GatherV2", [p, idx, tf.constant(1)], new() { ["batch_dims"] = 1 });
        Assert.That(g.shape.Dims, Is.EqualTo(new[] { 2, 1 }), "a plain gather would give [2, 2, 1]");
        using var sess = tf.Session();
        AssertValue(sess.run(g), new[] { 2f, 3f }, [2, 1]);
    }

    [Test]
    public void ReducingEveryAxisOfAnUnknownRankIsAScalarAndSetShapeRefines()
    {
        var p = tf.placeholder(tf.float32);
        Assert.That(tf.reduce_mean(p).shape, Is.EqualTo(TensorShape.Scalar));
        Assert.That(tf.reduce_sum(p, keepdims: true).shape.IsUnknownRank, Is.True);
        AssertValue(Eval(tf.reduce_sum(p), new FeedDict { [p] = new[,] { { 1f, 2f }, { 3f, 4f } } }), new[] { 10f }, []);
        // set_shape merges what the caller knows; a contradiction is an error.
        var q = tf.placeholder(tf.float32, shape: new TensorShape(-1, 3));
        q.set_shape(new TensorShape(4, -1));
        Assert.That(q.shape, Is.EqualTo(new TensorShape(4, 3)));
        Assert.That((q * 2f).shape, Is.EqualTo(new TensorShape(4, 3)), "ops created afterwards see it");
        Assert.Throws<InvalidArgumentException>(() => q.set_shape(new TensorShape(4, 2)));
    }

    [Test]
    public void AnIntegerMeanDividesInItsOwnTypeAndSaysSoWhenTheCountWraps()
    {
        // TF 1: the sum and the division in the element type. uint8 counts 256 as 0: a typed error, not a crash.
        AssertValue(Eval(tf.reduce_mean(tf.constant(new[] { 1, 2 }))), new[] { 1 }, []);
        AssertValue(Eval(tf.reduce_mean(tf.ones(new TensorShape(255), tf.uint8))), new byte[] { 1 }, []);
        var e = Assert.Throws<InvalidArgumentException>(() => Eval(tf.reduce_mean(tf.ones(new TensorShape(256), tf.uint8))));
        Assert.That(e!.Message, Does.Contain("wraps to 0 in uint8"));
    }
}
